/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Talking to systemd over sd-bus (org.freedesktop.systemd1), never by running systemctl:
 * start/stop/restart units and learn when their jobs finish, and watch units' ActiveState
 * so that the supervisor reacts within seconds when containerd or kubelet dies. Every
 * call is asynchronous on the caller's sd-event loop; callbacks run from it. */

#include <systemd/sd-bus.h>

typedef enum UnitAction { UNIT_START, UNIT_STOP, UNIT_RESTART, _UNIT_ACTION_MAX } UnitAction;

/* result: 0 when the job finished with "done", else -errno (e.g. -ETIMEDOUT, -EIO for
 * "failed", -ECANCELED for "canceled"); job_result is systemd's word ("done", "failed",...). */
typedef void (*UnitJobCallback)(const char *unit, int result, const char *job_result, void *userdata);

typedef struct SystemdClient SystemdClient;

/* Subscribe to the manager's signals on bus (already attached to an event loop). */
int systemd_client_new(sd_bus *bus, SystemdClient **ret);
SystemdClient *systemd_client_free(SystemdClient *c);

/* Queue the job (mode "replace") and call cb when its JobRemoved signal arrives. */
int systemd_unit_job(SystemdClient *c, const char *unit, UnitAction action, UnitJobCallback cb, void *userdata);

/* Call cb whenever the unit's ActiveState changes (and once at once with the current
 * state): "active", "activating", "deactivating", "inactive", "failed", "reloading". */
typedef void (*UnitStateCallback)(const char *unit, const char *active_state, const char *sub_state, void *userdata);
int systemd_unit_watch(SystemdClient *c, const char *unit, UnitStateCallback cb, void *userdata);

/* Mask a unit at runtime (/run): used to keep swap units off. */
int systemd_unit_mask_runtime(SystemdClient *c, const char *unit);
