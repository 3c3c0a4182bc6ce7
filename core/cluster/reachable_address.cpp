#include "cluster/reachable_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace scaleout::cluster {

std::string endpointFacing(const std::string& zkHosts, std::string& why) {
  std::string first = zkHosts.substr(0, zkHosts.find(','));
  first = first.substr(0, first.find('/'));
  std::string host = first, port = "2181";
  if (!first.empty() && first[0] == '[') {  // [v6]:port
    const auto close = first.find(']');
    host = first.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < first.size() && first[close + 1] == ':') port = first.substr(close + 2);
  } else if (const auto colon = first.rfind(':'); colon != std::string::npos) {
    host = first.substr(0, colon);
    port = first.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0 || !found) {
    why = "cannot resolve ZooKeeper host '" + host + "': " + gai_strerror(rc);
    return {};
  }
  std::string endpoint;
  for (addrinfo* a = found; a && endpoint.empty(); a = a->ai_next) {
    const int fd = socket(a->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    // connect() on UDP only picks the route and the source address.
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      char text[INET6_ADDRSTRLEN] = {0};
      if (local.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&local)->sin_addr, text, sizeof text);
        endpoint = std::string("tcp://") + text + ":*";
      } else if (local.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr, text, sizeof text);
        endpoint = std::string("tcp://[") + text + "]:*";
      }
    } else {
      why = "no route to ZooKeeper host '" + host + "': " + std::strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(found);
  return endpoint;
}

}  // namespace scaleout::cluster
