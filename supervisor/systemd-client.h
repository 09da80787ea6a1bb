/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Talking to systemd over sd-bus (org.freedesktop.systemd1), never by running systemctl:
 * start/stop/restart units and learn when their jobs finish, and watch units' ActiveState
 * so that the supervisor reacts within seconds when containerd or kubelet dies. Every
 * call but the two marked synchronous below is asynchronous on the caller's sd-event
 * loop; callbacks run from it.
 *
 * The bus may be the system bus (sd_bus_open_system()) or a direct connection to PID 1's
 * private socket (/run/systemd/private), which works without dbus-daemon.
 *
 * Callbacks may queue new jobs and watches, but must not free the client. Freeing the
 * client drops every pending job and watch without calling their callbacks. When the
 * connection closes (PID 1's private socket does on daemon-reexec), every pending job
 * and watch is called back with an error, and the client refuses new ones
 * (-ECONNRESET): make a new client on a new connection. */

#include <systemd/sd-bus.h>

#include "macro.h"
#include "time-util.h"

typedef enum UnitAction { UNIT_START, UNIT_STOP, UNIT_RESTART, _UNIT_ACTION_MAX } UnitAction;

/* result: 0 when the job finished with "done", else -errno (e.g. -ETIMEDOUT, -EIO for
 * "failed", -ECANCELED for "canceled"); job_result is systemd's word ("done", "failed",...).
 * When systemd refused to queue the job at all, job_result is the D-Bus error name instead
 * (e.g. "org.freedesktop.systemd1.NoSuchUnit", result -ENOENT). */
typedef void (*UnitJobCallback)(const char *unit, int result, const char *job_result, void *userdata);

typedef struct SystemdClient SystemdClient;

/* Subscribe to the manager's signals on bus (already attached to an event loop). */
int systemd_client_new(sd_bus *bus, SystemdClient **ret);
SystemdClient *systemd_client_free(SystemdClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(SystemdClient *, systemd_client_free);

/* Queue the job (mode "replace") and call cb when its JobRemoved signal arrives. */
int systemd_unit_job(SystemdClient *c, const char *unit, UnitAction action, UnitJobCallback cb, void *userdata);

/* Call cb whenever the unit's ActiveState changes (and once at once with the current
 * state): "active", "activating", "deactivating", "inactive", "failed", "reloading".
 * A change of SubState alone ("running" -> "auto-restart") is reported too. If the watch
 * cannot be set up (systemd refuses an invalid unit name, the bus refuses the match), cb
 * is called once with active_state NULL and sub_state the D-Bus error name, and the watch
 * ends. A unit that does not exist is watched fine: it is "inactive" until it appears. */
typedef void (*UnitStateCallback)(const char *unit, const char *active_state, const char *sub_state, void *userdata);
int systemd_unit_watch(SystemdClient *c, const char *unit, UnitStateCallback cb, void *userdata);

/* The two synchronous calls wait at most this long for PID 1's answer (-ETIMEDOUT): it
 * answers both at once, and the loop must keep pinging a 30 s watchdog. */
#define SYSTEMD_SYNC_CALL_USEC (5 * USEC_PER_SEC)

/* Mask a unit at runtime (/run): used to keep swap units off. Creates
 * /run/systemd/system/UNIT -> /dev/null, replacing what is there. Synchronous (PID 1
 * only writes a symlink). It does not reload the manager: a unit already loaded keeps its
 * old definition until then. */
int systemd_unit_mask_runtime(SystemdClient *c, const char *unit);

/* Queue a stop job for unit ("replace" mode) and return once PID 1 has queued it, without
 * waiting for it to finish: synchronous, for the preflight checks, which watch the effect
 * (swap off in /proc/swaps) themselves, from a timer. 0 or -errno. */
int systemd_unit_queue_stop(SystemdClient *c, const char *unit);

/* Enable unit for this boot only (EnableUnitFiles with runtime=true: links in /run), and
 * call cb from the loop with 0, or -errno and systemd's message. The caller owns
 * *ret_slot: unref'ing it before the reply cancels the callback. (systemd-unit-files.c) */
int systemd_unit_enable_runtime(SystemdClient *c, const char *unit, UnitJobCallback cb, void *userdata,
				sd_bus_slot **ret_slot);

/* "start", "stop", "restart"; NULL when out of range. */
const char *unit_action_to_string(UnitAction a);
/* Map a JobRemoved result word to 0 or -errno (unknown words: -EIO). */
int unit_job_result_to_errno(const char *job_result);
