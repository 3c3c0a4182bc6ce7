#include "util/versions.h"

#include <Eigen/Core>

extern "C" char* openblas_get_config(void);

namespace scaleout {

std::string eigenVersion() {
  return std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
         std::to_string(EIGEN_MINOR_VERSION);
}

std::string openBlasConfig() {
  const char* config = openblas_get_config();
  return config ? config : "";
}

LibraryVersions libraryVersions(const LibraryVersions& clusterLibraries) {
  LibraryVersions all{{"Eigen", eigenVersion()}};
  all.insert(all.end(), clusterLibraries.begin(), clusterLibraries.end());
  all.emplace_back("OpenBLAS", openBlasConfig());
  return all;
}

}  // namespace scaleout
