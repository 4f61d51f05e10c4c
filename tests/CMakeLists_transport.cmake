# Identity and HTTPS transport tests; include()d from tests/CMakeLists.txt.
# Real TLS over 127.0.0.1 only: no test reaches any other address.
if(NOT TARGET GTest::gtest_main)
  find_package(GTest REQUIRED)
endif()
include(GoogleTest)

# LeakSanitizer: OpenSSL keeps per-thread state on cpprestsdk's pool threads,
# which never exit; see lsan.supp. Harmless when not sanitizing.
set(ACCORD_LSAN_ENV "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/lsan.supp:print_suppressions=0")

add_executable(identity_tests ${CMAKE_CURRENT_LIST_DIR}/identity_test.cc)
target_link_libraries(identity_tests PRIVATE accord_net GTest::gmock GTest::gtest_main)
accord_test_compile_setup(identity_tests)
gtest_discover_tests(identity_tests DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}")

add_executable(https_transport_tests ${CMAKE_CURRENT_LIST_DIR}/https_transport_test.cc)
target_link_libraries(https_transport_tests PRIVATE accord_server accord_client_transport CURL::libcurl
                      GTest::gmock GTest::gtest_main)
accord_test_compile_setup(https_transport_tests)
gtest_discover_tests(https_transport_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}" TIMEOUT 120)

# The sync engine end to end over real HTTPS: every node a server and a client.
# scoped_convergence_test: issue 11's randomized run with sharing scopes, over
# HTTPS and by bundle, checked against a node that holds everything.
add_executable(https_sync_tests ${CMAKE_CURRENT_LIST_DIR}/https_sync_test.cc
                                ${CMAKE_CURRENT_LIST_DIR}/https_sharing_test.cc
                                ${CMAKE_CURRENT_LIST_DIR}/scoped_convergence_test.cc
                                ${CMAKE_CURRENT_LIST_DIR}/purge_test.cc
                                ${CMAKE_CURRENT_LIST_DIR}/tombstone_collection_test.cc
                                ${CMAKE_CURRENT_LIST_DIR}/revoked_node_test.cc
                                ${CMAKE_CURRENT_LIST_DIR}/https_attachment_test.cc)
target_link_libraries(https_sync_tests PRIVATE accord_server accord_client_transport
                      GTest::gmock GTest::gtest_main)
accord_test_compile_setup(https_sync_tests)
gtest_discover_tests(https_sync_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}" TIMEOUT 300)

# `accord serve` as a process, killed (SIGKILL) or stopped (SIGTERM) mid-sync.
add_executable(serve_process_tests ${CMAKE_CURRENT_LIST_DIR}/serve_process_test.cc
                                   ${CMAKE_CURRENT_LIST_DIR}/retention_serve_test.cc)
target_link_libraries(serve_process_tests PRIVATE accord_server nlohmann_json::nlohmann_json
                      GTest::gtest_main)
target_compile_definitions(serve_process_tests PRIVATE ACCORD_BINARY="$<TARGET_FILE:accord>")
add_dependencies(serve_process_tests accord)
accord_test_compile_setup(serve_process_tests)
gtest_discover_tests(serve_process_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}" TIMEOUT 300 COST 500)

# Encryption at rest through the command line, `accord serve` with a key file
# syncing over HTTPS with a clear node (docs/encryption.md).
add_executable(encryption_cli_tests ${CMAKE_CURRENT_LIST_DIR}/encryption_cli_test.cc)
target_link_libraries(encryption_cli_tests PRIVATE accord_server nlohmann_json::nlohmann_json
                      GTest::gtest_main)
target_compile_definitions(encryption_cli_tests PRIVATE ACCORD_BINARY="$<TARGET_FILE:accord>"
                           SAMPLE_DATA="${PROJECT_SOURCE_DIR}/data/sample.json")
add_dependencies(encryption_cli_tests accord)
accord_test_compile_setup(encryption_cli_tests)
gtest_discover_tests(encryption_cli_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}" TIMEOUT 300)

# The connection governor: floods, slow clients, caps, limits, forged
# internal headers, stopping with stuck clients. Real sockets on 127.0.0.0/8.
add_executable(connection_governor_tests ${CMAKE_CURRENT_LIST_DIR}/connection_governor_test.cc)
target_link_libraries(connection_governor_tests PRIVATE accord_server accord_client_transport
                      CURL::libcurl OpenSSL::SSL GTest::gmock GTest::gtest_main)
accord_test_compile_setup(connection_governor_tests)
gtest_discover_tests(connection_governor_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}" TIMEOUT 120)

# Request signing v2 (issue 9.5): replays refused, requests bound to their
# server, sessions bounded, clocks hours apart still syncing, `accord sync`
# telling a node its clock is off.
add_executable(replay_tests ${CMAKE_CURRENT_LIST_DIR}/replay_test.cc
                            ${CMAKE_CURRENT_LIST_DIR}/session_table_test.cc)
target_link_libraries(replay_tests PRIVATE accord_server accord_client_transport CURL::libcurl
                      nlohmann_json::nlohmann_json GTest::gmock GTest::gtest_main)
target_compile_definitions(replay_tests PRIVATE ACCORD_BINARY="$<TARGET_FILE:accord>")
add_dependencies(replay_tests accord)
accord_test_compile_setup(replay_tests)
gtest_discover_tests(replay_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}" TIMEOUT 120)

# Mixed versions: a newer accord (ACCORD_TEST_SCHEMA_EXTENSION=1) through an older one.
add_executable(rolling_upgrade_tests ${CMAKE_CURRENT_LIST_DIR}/rolling_upgrade_test.cc)
target_link_libraries(rolling_upgrade_tests PRIVATE accord_server nlohmann_json::nlohmann_json
                      GTest::gtest_main)
target_compile_definitions(rolling_upgrade_tests PRIVATE ACCORD_BINARY="$<TARGET_FILE:accord>")
add_dependencies(rolling_upgrade_tests accord)
accord_test_compile_setup(rolling_upgrade_tests)
gtest_discover_tests(rolling_upgrade_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}" TIMEOUT 300)

# Issue 9's attacks, each by a legitimate certificate holder over real HTTPS
# (forged, renumbered and shadowing writes, knowledge without proof, relays
# that alter writes, decompression bombs, clocks that run ahead).
add_executable(attack_tests ${CMAKE_CURRENT_LIST_DIR}/attack_test.cc
                            ${CMAKE_CURRENT_LIST_DIR}/bomb_test.cc)
target_link_libraries(attack_tests PRIVATE accord_server accord_client_transport
                      GTest::gmock GTest::gtest_main)
target_compile_definitions(attack_tests PRIVATE ACCORD_BINARY="$<TARGET_FILE:accord>")
add_dependencies(attack_tests accord)
accord_test_compile_setup(attack_tests)
gtest_discover_tests(attack_tests DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}" TIMEOUT 300)

# The review page's API, called without a socket.
add_executable(review_api_tests ${CMAKE_CURRENT_LIST_DIR}/review_api_test.cc)
target_link_libraries(review_api_tests PRIVATE accord_server GTest::gtest_main)
target_compile_definitions(review_api_tests PRIVATE
                           SAMPLE_DATA="${PROJECT_SOURCE_DIR}/data/sample.json")
accord_test_compile_setup(review_api_tests)
gtest_discover_tests(review_api_tests DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT "${ACCORD_LSAN_ENV}")
