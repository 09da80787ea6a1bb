/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What systemd-client.c (jobs, masking) and systemd-watch.c (unit watches) share. */

#include <stdbool.h>

#include "systemd-client.h"

#define SYSTEMD_DEST     "org.freedesktop.systemd1"
#define SYSTEMD_PATH     "/org/freedesktop/systemd1"
#define MANAGER_IFACE    "org.freedesktop.systemd1.Manager"
#define UNIT_IFACE       "org.freedesktop.systemd1.Unit"
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"
/* Reported as the job result or sub_state when the connection to PID 1 is gone. */
#define DISCONNECTED_NAME "org.freedesktop.DBus.Local.Disconnected"

typedef struct Job Job;
typedef struct EarlyResult EarlyResult;
typedef struct Watch Watch;

struct SystemdClient {
	sd_bus *bus;
	const char *sender;             /* match signals from this sender; NULL on a direct connection */
	sd_bus_slot *subscribe_slot, *job_removed_slot, *disconnected_slot;
	int error;                      /* nothing more can come: Subscribe or the JobRemoved
	                                 * match failed, or the connection is gone */
	Job *jobs;
	EarlyResult *early;
	size_t n_early;
	Watch *watches;
};

/* Free every watch of c without calling back (systemd-watch.c). */
void systemd_client_free_watches(SystemdClient *c);
/* End every watch of c, calling each back once with active_state NULL. */
void systemd_client_fail_watches(SystemdClient *c, const char *error_name);
