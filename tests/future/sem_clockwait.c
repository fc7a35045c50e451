/* For `make test-future`: libfaketime shifts the clocks but does not translate sem_clockwait,
 * which Python's timed lock waits use (Event.wait, Thread.join, Queue.get with a timeout), so
 * under it they wait for the whole shift. This hands them to sem_timedwait, which it does. */
#define _GNU_SOURCE
#include <semaphore.h>
#include <time.h>

#define BILLION 1000000000LL
#define LONGEST (BILLION * 86400LL * 365LL * 100LL) /* ns: longer waits are cut to 100 years */

int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
    struct timespec now, wall;
    clock_gettime(clock, &now);
    clock_gettime(CLOCK_REALTIME, &wall);
    long long seconds = (long long)abstime->tv_sec - now.tv_sec;
    long long left = seconds > LONGEST / BILLION
        ? LONGEST : seconds * BILLION + (abstime->tv_nsec - now.tv_nsec);
    long long end = wall.tv_sec * BILLION + wall.tv_nsec + (left > 0 ? left : 0);
    struct timespec deadline = {.tv_sec = end / BILLION, .tv_nsec = end % BILLION};
    return sem_timedwait(sem, &deadline);
}
