// The netlink seam: a NETLINK_ROUTE socket (optionally opened inside another
// network namespace), raw send and receive, a fresh network namespace held by an
// fd, and flock(2) for the state files. Messages are encoded and decoded in
// lib/network/netlink; nothing here knows what a link or a route is.
#pragma once
#include <napi.h>

namespace bulkhead {

Napi::Value NetlinkOpen(const Napi::CallbackInfo& info);
Napi::Value NetlinkSend(const Napi::CallbackInfo& info);
Napi::Value NetlinkRecv(const Napi::CallbackInfo& info);
Napi::Value NetnsCreate(const Napi::CallbackInfo& info);

}  // namespace bulkhead
