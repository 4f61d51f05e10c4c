# The `accord` command line (included from client/CMakeLists.txt).
add_executable(accord
  ${CMAKE_CURRENT_LIST_DIR}/main.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_context.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_records.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_stubs.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_conflicts.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_bundle.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmd_peers.cc
)
target_link_libraries(accord PRIVATE accord_sync CLI11::CLI11)
