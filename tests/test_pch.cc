// The target that builds the tests' precompiled header (tests/CMakeLists.txt,
// accord_test_pch); the header itself is the list ACCORD_TEST_PCH_HEADERS.
