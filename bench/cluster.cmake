# Cluster benchmark (bench/bench_cluster.cpp): include(cluster.cmake) from bench/CMakeLists.txt.
# It starts `scaleout worker` processes, so it needs the scaleout target's path.
add_executable(bench_cluster ${CMAKE_CURRENT_LIST_DIR}/bench_cluster.cpp)
target_link_libraries(bench_cluster PRIVATE scaleout_core_internal scaleout_warnings)
target_compile_definitions(bench_cluster PRIVATE SCALEOUT_BENCH_BINARY="$<TARGET_FILE:scaleout>")
add_dependencies(bench_cluster scaleout)
