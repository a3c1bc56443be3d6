/*
 * proc.h - processes, ports and the environment the integration tests run
 * in.
 *
 * Provides: free_port() (a loopback port nobody listens on right now),
 * env_threads() ($SHARDIS_THREADS as the servers get it), env_is_redis()
 * (whether $SHARDIS_SERVER is the reference redis-server) and run_capture()
 * (a shell command's whole output and exit status, the popen loop every
 * tool test needs).
 */
#ifndef SHARDIS_IT_PROC_H
#define SHARDIS_IT_PROC_H

#include <stdbool.h>

/* Asks the kernel for a free loopback port by binding port 0. The port is
 * free again once the socket is closed; whoever needs it binds it right
 * after (another process may win the race: server_start retries). */
int free_port(void);

/* $SHARDIS_THREADS when it is a positive number, else 2: the --threads of the
 * servers the tests start. */
int env_threads(void);

/* $SHARDIS_SERVER's basename is "redis-server": the tests run against the
 * reference Redis (false when the variable is not set). */
bool env_is_redis(void);

/* Runs `command` with popen and reads its stdout to the end (add 2>&1 to the
 * command for stderr). Returns the output, NUL-terminated (caller frees), and
 * stores pclose's wait status in *status. Fails the test when popen fails. */
char *run_capture(const char *command, int *status);

#endif
