/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enabling a unit for this boot only: Manager.EnableUnitFiles(as files, b runtime,
 * b force) -> (b carries_install_info, a(sss) changes), asynchronously. runtime=true puts
 * the links in /run, so the image's own enablement stays what it is after a reboot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "systemd-client-internal.h"

typedef struct EnableCall {
	char *unit;
	UnitJobCallback cb;
	void *userdata;
} EnableCall;

static void enable_call_free(void *p) {
	EnableCall *e = p;

	if (!e)
		return;
	free(e->unit);
	free(e);
}

static int on_enable_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	EnableCall *e = userdata;
	const sd_bus_error *error = sd_bus_message_get_error(m);

	if (error) {
		int r = sd_bus_message_get_errno(m);
		e->cb(e->unit, r > 0 ? -r : -EIO, error->message ?: error->name, e->userdata);
	} else
		e->cb(e->unit, 0, "done", e->userdata);
	return 0;
}

int systemd_unit_enable_runtime(SystemdClient *c, const char *unit, UnitJobCallback cb, void *userdata,
				sd_bus_slot **ret_slot) {
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL;
	EnableCall *e;
	int r;

	if (!c || isempty(unit) || !cb || !ret_slot)
		return -EINVAL;
	if (c->error < 0)
		return c->error;
	r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "EnableUnitFiles");
	if (r < 0)
		return r;
	/* force=false: a link or file of someone else's at the same place stays, and the
	 * call says so. */
	r = sd_bus_message_append(m, "asbb", 1, unit, 1, 0);
	if (r < 0)
		return r;

	e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	*e = (EnableCall) { .cb = cb, .userdata = userdata, .unit = strdup(unit) };
	if (!e->unit) {
		enable_call_free(e);
		return -ENOMEM;
	}
	r = sd_bus_call_async(c->bus, &slot, m, on_enable_reply, e, 0);
	if (r < 0) {
		enable_call_free(e);
		return r;
	}
	/* The slot owns the call from now on: unref'ing it cancels the callback too. */
	r = sd_bus_slot_set_destroy_callback(slot, enable_call_free);
	if (r < 0) {
		sd_bus_slot_unref(slot);
		enable_call_free(e);
		return r;
	}
	*ret_slot = slot;
	return 0;
}
