// OCI runtime seam (lib/oci): a FIFO for create/start and the pty master sent to
// containerd's console socket. Two system calls each; no policy here.
#pragma once
#include <napi.h>

namespace bulkhead {

// mkfifo(path, mode) (mkfifo(3)); throws with errno and the path.
Napi::Value Mkfifo(const Napi::CallbackInfo& info);
// sendFd(socketPath, fd, name): connect(2) to a unix stream socket and send fd with
// SCM_RIGHTS (unix(7)), name as the message's data (runc's utils.SendFile).
Napi::Value SendFd(const Napi::CallbackInfo& info);

}  // namespace bulkhead
