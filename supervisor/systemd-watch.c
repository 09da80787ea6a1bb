/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit watches: report a unit's ActiveState and SubState on every change.
 *
 * Manager.LoadUnit(s) gives the unit's object path (an alias resolves to the real unit's
 * path); on it PropertiesChanged of org.freedesktop.systemd1.Unit carries the new states,
 * and Properties.GetAll reads them at the start and whenever a signal only says they
 * were invalidated. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "systemd-client-internal.h"

struct Watch {
	SystemdClient *client;
	Watch *next;
	char *unit;
	char *path;
	UnitStateCallback cb;
	void *userdata;
	sd_bus_slot *load_slot, *match_slot, *get_slot;
	bool refresh_again;             /* invalidated again while a GetAll was in flight */
	bool notified;
	char *active_state, *sub_state;
};

/* Replace *p with a copy of s (NULL allowed). */
static int free_and_strdup(char **p, const char *s) {
	char *t = NULL;

	if (streq_ptr(*p, s))
		return 0;
	if (s && !(t = strdup(s)))
		return -ENOMEM;
	free(*p);
	*p = t;
	return 1;
}

static Watch *watch_free(Watch *w) {
	if (!w)
		return NULL;
	sd_bus_slot_unref(w->load_slot);
	sd_bus_slot_unref(w->match_slot);
	sd_bus_slot_unref(w->get_slot);
	free(w->unit);
	free(w->path);
	free(w->active_state);
	free(w->sub_state);
	free(w);
	return NULL;
}

static void watch_remove(Watch *w) {
	for (Watch **p = &w->client->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	watch_free(w);
}

/* The watch cannot go on: tell the caller once, then forget it. */
static void watch_fail(Watch *w, const char *error_name) {
	UnitStateCallback cb = w->cb;
	void *userdata = w->userdata;
	_cleanup_free_ char *unit = TAKE_PTR(w->unit);

	watch_remove(w);
	cb(unit, NULL, error_name, userdata);
}

void systemd_client_free_watches(SystemdClient *c) {
	while (c->watches) {
		Watch *w = c->watches;
		c->watches = w->next;
		watch_free(w);
	}
}

void systemd_client_fail_watches(SystemdClient *c, const char *error_name) {
	/* Callbacks cannot add watches meanwhile: c->error is set, so this ends. */
	while (c->watches)
		watch_fail(c->watches, error_name);
}

static void watch_update(Watch *w, const char *active_state, const char *sub_state) {
	int r, s;

	if (!active_state || !sub_state)
		return;
	r = free_and_strdup(&w->active_state, active_state);
	s = free_and_strdup(&w->sub_state, sub_state);
	if (r < 0 || s < 0) {
		/* Keep no half-updated state: the next change then compares unequal and is
		 * reported rather than lost. */
		w->active_state = mfree_str(w->active_state);
		w->sub_state = mfree_str(w->sub_state);
		return;
	}
	if (w->notified && r == 0 && s == 0)
		return;
	w->notified = true;
	w->cb(w->unit, w->active_state, w->sub_state, w->userdata);
}

/* Pick ActiveState and SubState out of an a{sv}; the strings live in m. */
static int read_unit_states(sd_bus_message *m, const char **active_state, const char **sub_state) {
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *name, **target = NULL;

		r = sd_bus_message_read(m, "s", &name);
		if (r <= 0)
			return r < 0 ? r : -EBADMSG;
		if (streq(name, "ActiveState"))
			target = active_state;
		else if (streq(name, "SubState"))
			target = sub_state;
		r = target ? sd_bus_message_read(m, "v", "s", target) : sd_bus_message_skip(m, "v");
		if (r <= 0)
			return r < 0 ? r : -EBADMSG;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int watch_refresh(Watch *w);

static int on_get_all_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	Watch *w = userdata;
	const char *active_state = NULL, *sub_state = NULL;
	const sd_bus_error *e;

	w->get_slot = sd_bus_slot_unref(w->get_slot);
	e = sd_bus_message_get_error(m);
	if (e) {
		/* Only the first read decides whether there is a watch at all; later a failed
		 * refresh keeps the last known state and the next signal tries again. */
		if (!w->notified)
			watch_fail(w, e->name);
		return 0;
	}
	if (w->refresh_again) {
		/* This answer may predate the latest invalidation: ask once more. */
		w->refresh_again = false;
		if (watch_refresh(w) >= 0)
			return 0;
	}
	if (read_unit_states(m, &active_state, &sub_state) >= 0)
		watch_update(w, active_state, sub_state);
	return 0;
}

static int watch_refresh(Watch *w) {
	if (w->get_slot) {
		w->refresh_again = true;
		return 0;
	}
	return sd_bus_call_method_async(w->client->bus, &w->get_slot, SYSTEMD_DEST, w->path, PROPERTIES_IFACE,
					"GetAll", on_get_all_reply, w, "s", UNIT_IFACE);
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	Watch *w = userdata;
	const char *iface, *name, *active_state = NULL, *sub_state = NULL;
	bool invalidated = false;
	int r;

	/* The same path also carries the Service/Socket/... interface's changes. */
	r = sd_bus_message_read(m, "s", &iface);
	if (r <= 0 || !streq(iface, UNIT_IFACE))
		return 0;
	r = read_unit_states(m, &active_state, &sub_state);
	if (r < 0)
		return 0;
	r = sd_bus_message_enter_container(m, 'a', "s");
	if (r < 0)
		return 0;
	while ((r = sd_bus_message_read(m, "s", &name)) > 0)
		if (streq(name, "ActiveState") || streq(name, "SubState"))
			invalidated = true;

	if (invalidated) {
		/* Only told that the state changed, not to what: read it. On failure the next
		 * signal tries again. */
		(void) watch_refresh(w);
		return 0;
	}
	if (!active_state && !sub_state)
		return 0;
	/* A signal may carry only the one that changed; the other keeps its value. */
	watch_update(w, active_state ?: w->active_state, sub_state ?: w->sub_state);
	return 0;
}

static int on_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	Watch *w = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (e)
		watch_fail(w, e->name);
	return 0;
}

static int on_load_unit_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
	Watch *w = userdata;
	const sd_bus_error *e;
	const char *path;
	int r;

	w->load_slot = sd_bus_slot_unref(w->load_slot);
	e = sd_bus_message_get_error(m);
	if (e) {
		watch_fail(w, e->name);
		return 0;
	}
	r = sd_bus_message_read(m, "o", &path);
	if (r <= 0) {
		watch_fail(w, SD_BUS_ERROR_INCONSISTENT_MESSAGE);
		return 0;
	}
	w->path = strdup(path);
	if (!w->path) {
		watch_fail(w, SD_BUS_ERROR_NO_MEMORY);
		return 0;
	}

	/* Match first, read second: a change after PID 1 answers GetAll is then signalled
	 * to us, and one before it is in the answer. */
	r = sd_bus_match_signal_async(w->client->bus, &w->match_slot, w->client->sender, w->path,
				      PROPERTIES_IFACE, "PropertiesChanged", on_properties_changed,
				      on_match_installed, w);
	if (r >= 0)
		r = watch_refresh(w);
	if (r < 0)
		watch_fail(w, r == -ENOMEM ? SD_BUS_ERROR_NO_MEMORY : SD_BUS_ERROR_FAILED);
	return 0;
}

int systemd_unit_watch(SystemdClient *c, const char *unit, UnitStateCallback cb, void *userdata) {
	Watch *w;
	int r;

	if (!c || isempty(unit) || !cb)
		return -EINVAL;
	if (c->error < 0)
		return c->error;

	w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	*w = (Watch) { .client = c, .cb = cb, .userdata = userdata };
	w->unit = strdup(unit);
	if (!w->unit) {
		watch_free(w);
		return -ENOMEM;
	}
	r = sd_bus_call_method_async(c->bus, &w->load_slot, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE,
				     "LoadUnit", on_load_unit_reply, w, "s", unit);
	if (r < 0) {
		watch_free(w);
		return r;
	}
	w->next = c->watches;
	c->watches = w;
	return 0;
}
