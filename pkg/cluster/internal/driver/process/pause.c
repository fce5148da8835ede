// `velad pause`: the entrypoint of the built-in pause image (velad.local/pause), the first
// process of every pod on a real node. It holds the pod's namespaces until SIGINT or SIGTERM
// and reaps the zombies reparented to it (it is PID 1 of the pod's PID namespace). It runs
// from the constructor in supervise.c, before the Go runtime: as a Go command every pod paid
// a whole velad process (~20 MB); this stays well under 1 MB of its own.

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

// veladPause blocks until SIGINT or SIGTERM, reaping exited children on SIGCHLD; it returns
// the exit status, 0. As PID 1 the default actions of those signals never apply, so they are
// taken synchronously with sigwaitinfo.
int veladPause(void) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig == SIGINT || sig == SIGTERM) {
			return 0;
		}
		if (sig == SIGCHLD) {
			while (waitpid(-1, NULL, WNOHANG) > 0) {
			}
		}
		// sig < 0: EINTR; wait again
	}
}
