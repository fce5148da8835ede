// `velad supervise --data-dir <dir>`: runs `velad server --data-dir <dir>` and restarts it
// when it dies. It runs from an ELF constructor, before the Go runtime and the package init
// of everything velad links (Kubernetes included): as a Go command the supervisor was
// ~140 MB resident for a loop that waits on one child; here it is a few MB.
// See supervise.go.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	quickRun = 30,        // a server that dies sooner counts as a start-up failure (s)
	maxQuick = 5,         // give up after this many start-up failures in a row
	maxBackoff = 30,      // restart back-off cap (s)
	stopGrace = 15,       // how long a stopping server gets before SIGKILL (s)
};

// logf writes a klog-style line ("E1123 16:47:32.123456 pid supervise] msg") to stderr,
// which the process driver points at the cluster's log file.
static void logLine(char level, const char *format, ...) {
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	va_list ap;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%m%d %H:%M:%S", &tm);
	fprintf(stderr, "%c%s.%06ld %7d supervise] ", level, stamp, (long)tv.tv_usec, (int)getpid());
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

// markStarting records the phase "starting" in <data-dir>/run/phase, as the server's own
// phase writer does (pkg/server/phase.go), so that a status read between a crash and the
// restart does not report the dead server's last phase.
static void markStarting(const char *dataDir) {
	char dir[PATH_MAX], path[PATH_MAX + 16], tmp[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/run", dataDir);
	snprintf(path, sizeof path, "%s/phase", dir);
	snprintf(tmp, sizeof tmp, "%s/phase.tmp", dir);
	mkdir(dir, 0700);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		return;
	}
	int ok = write(fd, "starting\n", 9) == 9;
	close(fd);
	if (ok) {
		rename(tmp, path);
	}
}

// waitSignal waits up to timeout seconds (forever if < 0) for a signal of set.
// It returns the signal, or 0 on timeout.
static int waitSignal(const sigset_t *set, double timeout) {
	for (;;) {
		int sig;
		if (timeout < 0) {
			sig = sigwaitinfo(set, NULL);
		} else {
			struct timespec ts = {(time_t)timeout, (long)((timeout - (time_t)timeout) * 1e9)};
			sig = sigtimedwait(set, NULL, &ts);
		}
		if (sig > 0) {
			return sig;
		}
		if (errno == EAGAIN) {
			return 0;
		}
		// EINTR: a signal outside the set; wait again
	}
}

// reaped reports whether child has exited (storing its wait status).
static int reaped(pid_t child, int *status) {
	pid_t r;
	while ((r = waitpid(child, status, WNOHANG)) < 0 && errno == EINTR) {
	}
	return r == child;
}

// stopChild sends SIGTERM and waits up to stopGrace for the child to exit, then kills it.
// A second SIGINT/SIGTERM exits at once (the child dies with us: PR_SET_PDEATHSIG).
static void stopChild(pid_t child, const sigset_t *set) {
	int status;
	kill(child, SIGTERM);
	double deadline = now() + stopGrace;
	while (!reaped(child, &status)) {
		double left = deadline - now();
		if (left <= 0) {
			logLine('I', "velad server still running %ds after SIGTERM; killing it", stopGrace);
			kill(child, SIGKILL);
			while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
			}
			return;
		}
		int sig = waitSignal(set, left);
		if (sig == SIGINT || sig == SIGTERM) {
			_exit(1);
		}
	}
}

static void describe(int status, char *buf, size_t n) {
	if (WIFEXITED(status)) {
		snprintf(buf, n, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		snprintf(buf, n, "signal: %s", strsignal(WTERMSIG(status)));
	} else {
		snprintf(buf, n, "wait status %d", status);
	}
}

// relro is the main program's PT_GNU_RELRO range: read-only now, but written by the dynamic
// loader (its GOT), so its pages are private copies whatever smaps says once they are swapped.
static unsigned long relroStart, relroEnd;

static int findRelro(struct dl_phdr_info *info, size_t size, void *data) {
	(void)size, (void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_GNU_RELRO) {
			relroStart = (info->dlpi_addr + ph->p_vaddr) & ~4095UL;
			relroEnd = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~4095UL;
		}
	}
	return 1; // the first object is the main program
}

// releaseExePages unmaps the supervisor's read-only mappings of the velad binary that hold no
// private page: the dynamic loader read ~6 MB of the binary's symbol and relocation tables to
// start it, which the supervisor never needs again (a lazily bound libc call reads a few pages
// back). The server does the same for its own pages once ready (pkg/exepages). A mapping with
// a private page in memory (Anonymous) or swapped out (Swap), or overlapping the RELRO range,
// is left alone: dropping it would lose what was written there.
static void releaseExePages(const char *exe) {
	dl_iterate_phdr(findRelro, NULL);
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f) {
		return;
	}
	char line[PATH_MAX + 128], path[PATH_MAX], perms[8];
	unsigned long start = 0, end = 0, kb;
	int candidate = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long a, b;
		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &a, &b, perms, path) >= 3 && strchr(line, '-') < strchr(line, ' ')) {
			start = a, end = b;
			candidate = strcmp(path, exe) == 0 && perms[1] != 'w' && (end <= relroStart || start >= relroEnd);
		} else if (candidate && sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
			candidate = kb == 0;
		} else if (candidate && sscanf(line, "Swap: %lu kB", &kb) == 1) {
			if (kb == 0) {
				madvise((void *)start, end - start, MADV_DONTNEED);
			}
			candidate = 0;
		}
	}
	fclose(f);
}

// supervise runs the server for dataDir until a signal stops it (0), the server stops
// cleanly (0), or the server keeps failing during start-up (1).
static int supervise(const char *dataDir) {
	char exe[PATH_MAX], config[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0) {
		fprintf(stderr, "Error: finding the velad binary (/proc/self/exe): %s\n", strerror(errno));
		return 1;
	}
	exe[n] = '\0';
	snprintf(config, sizeof config, "%s/config.yaml", dataDir);
	if (access(config, R_OK) != 0) {
		fprintf(stderr, "Error: cannot read %s (%s): is a cluster installed in %s? Install it with `velad install`\n",
			config, strerror(errno), dataDir);
		return 1;
	}
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t self = getpid();
	int backoff = 1, quick = 0;
	for (;;) {
		markStarting(dataDir);
		double started = now();
		pid_t child = fork();
		if (child < 0) {
			fprintf(stderr, "Error: starting server: %s\n", strerror(errno));
			return 1;
		}
		if (child == 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self) {
				_exit(1); // the supervisor died before the prctl
			}
			execl(exe, exe, "server", "--data-dir", dataDir, (char *)NULL);
			fprintf(stderr, "Error: starting server %s: %s\n", exe, strerror(errno));
			_exit(127);
		}
		releaseExePages(exe);
		int status = 0;
		for (;;) {
			int sig = waitSignal(&set, -1);
			if (sig == SIGINT || sig == SIGTERM) {
				logLine('I', "signal received, stopping");
				stopChild(child, &set);
				return 0;
			}
			if (reaped(child, &status)) {
				break;
			}
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			return 0; // the server stopped cleanly on its own
		}
		char why[64];
		describe(status, why, sizeof why);
		logLine('E', "velad server exited; restarting err=\"%s\" after=\"%ds\"", why, backoff);
		if (now() - started < quickRun) {
			quick++;
		} else {
			quick = 0;
			backoff = 1;
		}
		if (quick >= maxQuick) {
			fprintf(stderr, "Error: velad server failed %d times in a row during start-up; giving up (see the log above, fix, then `velad start`)\n", quick);
			return 1;
		}
		int sig = waitSignal(&set, backoff);
		while (sig == SIGCHLD) { // a stray child: keep waiting out the back-off
			sig = waitSignal(&set, backoff);
		}
		if (sig == SIGINT || sig == SIGTERM) {
			return 0;
		}
		backoff = backoff * 2 > maxBackoff ? maxBackoff : backoff * 2;
	}
}

int veladPause(void); // pause.c

// isVelad reports whether argv0 runs velad itself, not one of its multi-call personalities
// (`vela`, `kubectl`), whose own sub-commands must reach the Go program unchanged.
static int isVelad(const char *argv0) {
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	return strcmp(base, "vela") != 0 && strcmp(base, "kubectl") != 0;
}

// veladCommands takes over the process when it was started as
// `<exe> supervise --data-dir <dir>` (or --data-dir=<dir>) or `<exe> pause` (pause.c); any
// other command line goes on to the Go runtime. glibc passes argc/argv/envp to constructors
// of the executable.
__attribute__((constructor)) static void veladCommands(int argc, char **argv, char **envp) {
	(void)envp;
	if (argc < 2 || !isVelad(argv[0])) {
		return;
	}
	if (strcmp(argv[1], "pause") == 0) {
		if (argc != 2) {
			fprintf(stderr, "Error: usage: velad pause (the built-in pause image's entrypoint; it takes no arguments)\n");
			exit(2);
		}
		exit(veladPause());
	}
	if (strcmp(argv[1], "supervise") != 0) {
		return;
	}
	const char *dataDir = NULL;
	if (argc == 4 && strcmp(argv[2], "--data-dir") == 0) {
		dataDir = argv[3];
	} else if (argc == 3 && strncmp(argv[2], "--data-dir=", 11) == 0) {
		dataDir = argv[2] + 11;
	}
	if (dataDir == NULL || dataDir[0] != '/' || strlen(dataDir) > PATH_MAX - 64) {
		fprintf(stderr, "Error: usage: velad supervise --data-dir <absolute path of a cluster's data dir>\n"
			"(velad install and velad start run it; you do not need to)\n");
		exit(2);
	}
	exit(supervise(dataDir));
}
