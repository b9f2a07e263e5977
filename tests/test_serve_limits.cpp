// `rcnn serve` against a hostile or clumsy client, each attack that once worked now a case: bodies over
// the limit in any encoding, image bombs the decoder would have taken, header floods, clients that
// drip their request, a stop with requests queued and a client dripping, and the small things (an
// out-of-range max, OPTIONS, a favicon, a 600 x 1 strip). Raw requests go through a socket of the
// test's own (loopback only), so that what is sent is exactly what is written here.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "datasets/image.h"
#include "tests/serve_fixture.h"

using namespace rcnn;
using namespace rcnn::testing;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// This process's resident memory (the server runs in it).
int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A loopback connection that sends and reads raw bytes, each read bounded in time.
struct RawClient {
  int fd = -1;
  explicit RawClient(int port) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~RawClient() { close(fd); }
  // False once the server has closed (or reset) the connection.
  bool send_all(const std::string& bytes) {
    for (size_t at = 0; at < bytes.size();) {
      const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return false;
      at += static_cast<size_t>(n);
    }
    return true;
  }
  // What arrives until the server closes, or `seconds` pass.
  std::string read_all(double seconds) {
    std::string text;
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    char buffer[65536];
    while (Clock::now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      text.append(buffer, static_cast<size_t>(n));
    }
    return text;
  }
};

// "HTTP/1.1 413 ..." -> 413; the JSON error of a raw answer.
int status_of(const std::string& answer) { return answer.size() > 12 ? std::atoi(answer.c_str() + 9) : 0; }
std::string error_in(const std::string& answer) {
  const size_t body = answer.find("\r\n\r\n");
  if (body == std::string::npos) return "(no body)";
  return json::parse(answer.substr(body + 4)).value("error", std::string("(no error)"));
}

std::string png_of(const Image& image, const TempDir& dir) {
  save_png(image, dir / "strip.png");
  return read_file(dir / "strip.png");
}

}  // namespace

TEST_SUITE("serve") {

TEST_CASE("rcnn serve: a body over the limit is refused in every encoding, before more than the limit is held") {
  Fixture f;
  Running s(f.run, 1 << 20);  // 1 MiB
  {  // chunked: once accepted whole (300 MiB, 870 MiB of memory); now 413 as soon as the limit is passed,
     // and what still comes is read and dropped for a moment (so that the client can read the answer)
    RawClient c(s.port);
    const int64_t before = resident_bytes();
    REQUIRE(c.send_all("POST /api/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "10000\r\n" + std::string(65536, 'x') + "\r\n";
    for (size_t sent = 0; sent < (64u << 20) && c.send_all(chunk);) sent += 65536;
    const std::string answer = c.read_all(10);
    CHECK(status_of(answer) == 413);
    CHECK(error_in(answer) == "the upload is over the limit of 1 MiB (--max-upload-mb)");
    CHECK(resident_bytes() - before < (16 << 20));  // not the 64 MiB sent
  }
  {  // a Content-Length over the limit: refused from the header, the body never read
    RawClient c(s.port);
    REQUIRE(c.send_all("POST /api/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 300000000\r\n\r\n"));
    const auto start = Clock::now();
    CHECK(status_of(c.read_all(5)) == 413);
    CHECK(since(start) < 3);
  }
  CHECK(s.client().Get("/healthz")->status == 200);
}

TEST_CASE("rcnn serve: the pixel limit reads the size the decoder reads (Apple's CgBI PNG, OS/2 BMP)") {
  Fixture f;
  Running s(f.run);
  httplib::Client c = s.client();
  // A PNG with Apple's CgBI chunk before IHDR, declaring 12 000 x 12 000: stb decodes it as that (it
  // once got past a gate that read the size at fixed bytes, and took 929 MiB).
  std::string cgbi = "\x89PNG\r\n\x1a\n";
  cgbi += std::string("\0\0\0\x04" "CgBI" "\x50\x00\x20\x06" "\0\0\0\0", 16);
  cgbi += std::string("\0\0\0\x0d" "IHDR" "\0\0\x2e\xe0" "\0\0\x2e\xe0" "\x08\x02\0\0\0" "\0\0\0\0", 25);
  CHECK(error_of(post_image(c, "/api/detect", cgbi)) ==
        std::pair<int, std::string>{422, "the image declares 12000 x 12000 pixels, more than the 40000000 this server decodes (--max-pixels)"});
  // A valid 2 x 2 BMP with OS/2's 12-byte header (once misread into a nonsense size and refused).
  std::string bmp = std::string("BM", 2) + std::string("\x2a\0\0\0" "\0\0\0\0" "\x1a\0\0\0", 12);
  bmp += std::string("\x0c\0\0\0" "\x02\0" "\x02\0" "\x01\0" "\x18\0", 12);
  bmp += std::string("\x00\x00\xff" "\x00\xff\x00" "\0\0" "\xff\x00\x00" "\xff\xff\xff" "\0\0", 16);
  const auto r = c.Post("/api/detect", bmp, "image/bmp");
  REQUIRE(r);
  CHECK(r->status == 200);
  const json answer = json::parse(r->body);
  CHECK(answer["width"] == 2);
  CHECK(answer["height"] == 2);
}

TEST_CASE("rcnn serve: header fields over 16 KiB get 431, and the server goes on") {
  Fixture f;
  Running s(f.run);
  RawClient c(s.port);
  std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 4000; ++i) request += "X-Field-" + std::to_string(i) + ": some value\r\n";  // ~100 KB of fields
  request += "\r\n";
  c.send_all(request);
  const std::string answer = c.read_all(10);
  CHECK(status_of(answer) == 431);
  CHECK(error_in(answer) == "the request's header fields are over 16 KiB");
  CHECK(s.client().Get("/healthz")->status == 200);
}

TEST_CASE("rcnn serve: clients that drip their requests cannot take the server, and get 408 at the deadline") {
  Fixture f;
  Running s(f.run, serve::ServerOptions{2, 20 << 20, /*request_seconds=*/2});
  // Eight connections (the old server had four workers, each held forever by a byte every 3 s), each
  // sending a byte of its request every 300 ms; between the bytes, others are served at once.
  std::vector<std::unique_ptr<RawClient>> drippers;
  for (int i = 0; i < 8; ++i) drippers.push_back(std::make_unique<RawClient>(s.port));
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: slow\r\n";
  httplib::Client c = s.client();
  const auto start = Clock::now();
  for (size_t at = 0; since(start) < 2.5 && at < request.size(); ++at) {
    for (auto& d : drippers) d->send_all(request.substr(at, 1));
    const auto asked = Clock::now();
    const auto health = c.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(since(asked) < 1.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  for (auto& d : drippers) {
    const std::string answer = d->read_all(5);
    CHECK(status_of(answer) == 408);
    CHECK(error_in(answer) == "the request did not arrive whole within 2 s (--request-seconds)");
  }
  CHECK(since(start) < 4);
}

TEST_CASE("rcnn serve: a stop answers every request that arrived, refuses one still arriving, and ends in time") {
  Fixture f;
  const serve::ServerOptions options{2, 20 << 20, /*request_seconds=*/30, /*stop_seconds=*/5};
  Running s(f.run, options);
  const std::string jpeg = read_file(f.dir / "shapes/JPEGImages/000001.jpg");
  RawClient slow(s.port);  // a client that never finishes its request
  REQUIRE(slow.send_all("POST /api/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"));
  std::vector<int> statuses(8, 0);
  std::vector<std::thread> clients;
  for (int& status : statuses)
    clients.emplace_back([&] {
      httplib::Client c = s.client();
      const auto r = c.Post("/api/detect", jpeg, "image/jpeg");
      status = r ? r->status : -1;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all eight sent; a few answered
  const double stopping = s.stop();
  for (std::thread& t : clients) t.join();
  CHECK(stopping < options.stop_seconds + 2);
  for (int status : statuses) CHECK((status == 200 || status == 503));  // once: 4 of 8 got no answer at all
  const std::string answer = slow.read_all(2);
  CHECK(status_of(answer) == 503);
  CHECK(error_in(answer) == "the server is stopping");
}

TEST_CASE("rcnn serve: out-of-range numbers, malformed requests, OPTIONS, the favicon, Luminoth's total, a 600 x 1 strip") {
  Fixture f;
  Running s(f.run);
  httplib::Client c = s.client();
  const std::string jpeg = read_file(f.dir / "shapes/JPEGImages/000001.jpg");
  CHECK(error_of(c.Post("/api/detect?max=1e19", jpeg, "image/jpeg")) ==
        std::pair<int, std::string>{400, "max is '1e19', not a whole number from 0 to 100000"});  // once: "negative"
  CHECK(error_of(c.Post("/api/detect?max=-3", jpeg, "image/jpeg")).second == "max is '-3', not a whole number from 0 to 100000");
  const auto lumi = c.Post("/api/fasterrcnn/predict/?total=1&threshold=0", jpeg, "image/jpeg");
  REQUIRE(lumi);
  CHECK(json::parse(lumi->body)["objects"].size() == 1);
  const auto options = c.Options("/api/detect");
  REQUIRE(options);
  CHECK(options->status == 204);
  CHECK(options->get_header_value("Allow") == "POST, OPTIONS");
  CHECK(c.Get("/favicon.ico")->status == 204);
  // Each malformed request says what is wrong with it (once one message answered them all).
  std::vector<std::string> messages;
  for (const std::string& request : {std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"),
                                     std::string("GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"),
                                     std::string("POST /api/detect HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")}) {
    RawClient raw(s.port);
    raw.send_all(request);
    const std::string answer = raw.read_all(5);
    CAPTURE(request);
    CHECK(status_of(answer) == 400);
    messages.push_back(error_in(answer));
    CHECK(messages.back().find("a malformed request: ") == 0);
  }
  CHECK(messages[0] != messages[1]);
  CHECK(messages[1] != messages[2]);
  // A 600 x 1 strip: a result (it once got 500, "resize_bilinear: target size 256x0").
  TempDir dir("serve_strip");
  const auto strip = c.Post("/api/detect", png_of(Image(600, 1, {120, 80, 40}), dir), "image/png");
  REQUIRE(strip);
  CAPTURE(strip->body);
  CHECK((strip->status == 200 || strip->status == 422));
  CHECK(c.Get("/healthz")->status == 200);
}

TEST_CASE("rcnn serve: a client that asks before sending its body (Expect: 100-continue, as curl does) is told to go on") {
  Fixture f;
  Running s(f.run);
  const std::string jpeg = read_file(f.dir / "shapes/JPEGImages/000001.jpg");
  RawClient c(s.port);
  REQUIRE(c.send_all("POST /api/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nExpect: 100-continue\r\nContent-Length: " +
                     std::to_string(jpeg.size()) + "\r\nConnection: close\r\n\r\n"));
  CHECK(c.read_all(1).find("HTTP/1.1 100 Continue") == 0);
  REQUIRE(c.send_all(jpeg));
  const std::string answer = c.read_all(20);
  CHECK(status_of(answer) == 200);
  CHECK(answer.find("\"objects\"") != std::string::npos);
}

}  // TEST_SUITE
