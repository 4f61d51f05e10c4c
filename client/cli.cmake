# The `accord` command line (included from client/CMakeLists.txt).
add_executable(accord
  ${CMAKE_CURRENT_LIST_DIR}/main.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_context.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_records.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_conflicts.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_bundle.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_peers.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_sync.cc
)
target_link_libraries(accord PRIVATE accord_server accord_client_transport CLI11::CLI11)
