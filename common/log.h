/* log: leveled logging to stderr with time and party id. Never pass secrets. */
#ifndef MPC_LOG_H
#define MPC_LOG_H

enum { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_level;      /* messages above this level are skipped unformatted */
extern char log_party[16]; /* e.g. "S1" or "client"; set once in main */

void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_msg(level, ...) \
    do { if ((level) <= log_level) log_write((level), __VA_ARGS__); } while (0)

#endif
