// The test runner: doctest's own main (prints its summary line, exits non-zero on any failure).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
