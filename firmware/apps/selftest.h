/* The device's self tests (see selftest.c). */
#ifndef APPS_SELFTEST_H
#define APPS_SELFTEST_H

/* Runs every test (or only the one named `only`, when not NULL), prints
 * one line per test, the measured cost of the generic send paths when the
 * board counts instructions, and a summary line. Returns the number of
 * failed tests; naming no known test counts as one failure. */
int selftest_run(const char *only);

#endif
