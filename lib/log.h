/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging for the edges of the programs (main, phase runner, CLI). Library code does not
 * log; it returns -errno and the caller that knows the context logs once.
 *
 * Under systemd (stderr connected to the journal, detected through $JOURNAL_STREAM) every
 * message is sent to journald with structured fields: MESSAGE, PRIORITY, ERRNO, CODE_FILE,
 * CODE_LINE, CODE_FUNC, SYSLOG_IDENTIFIER and any KILN_* fields the caller adds. Otherwise
 * the message goes to stderr as "program: message". */

#include <syslog.h>

#include "macro.h"

typedef struct LogField {
	const char *name;   /* e.g. "KILN_PHASE": upper case, digits and '_' */
	const char *value;
} LogField;

typedef enum LogTarget {
	LOG_TARGET_AUTO,    /* journal if stderr is the journal stream, else stderr */
	LOG_TARGET_STDERR,
	LOG_TARGET_JOURNAL,
} LogTarget;

/* Read $KILN_LOG_LEVEL (debug, info, notice, warning, err) and pick the target. */
void log_setup(void);
void log_set_target(LogTarget target);
LogTarget log_get_target(void);
void log_set_max_level(int level);
int log_get_max_level(void);

/* Log fmt at level; with error != 0 "%m" prints strerror(|error|). Returns -|error|
 * (or 0 when error is 0) so that "return log_error_errno(r, ...);" works. */
_printf_(8, 9) int log_internal(int level, int error, const LogField *fields, size_t n_fields,
				const char *file, int line, const char *func, const char *fmt, ...);

#define log_full_errno(level, error, ...) \
	log_internal((level), (error), NULL, 0, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...)   log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, (error), __VA_ARGS__)

/* Structured: log_struct(LOG_INFO, 0, LOG_FIELDS({"KILN_PHASE", "runtime"}), "Phase %s done", p); */
#define LOG_FIELDS(...) ((const LogField[]) { __VA_ARGS__ }), \
	ELEMENTSOF(((const LogField[]) { __VA_ARGS__ }))
#define log_struct(level, error, fields_and_count, ...) \
	log_internal((level), (error), fields_and_count, __FILE__, __LINE__, __func__, __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
