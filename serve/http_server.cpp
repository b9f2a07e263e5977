#include "serve/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "serve/routes.h"

namespace rcnn::serve {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kHeaderBytes = 16 << 10;  // every header field together (431 beyond)
constexpr size_t kFormBytes = 64 << 10;    // what a multipart form may add to the image
constexpr size_t kReadBuffer = 64 << 10;   // a connection's read buffer (the header must fit in it)
constexpr auto kWriteTime = std::chrono::seconds(30), kLingerTime = std::chrono::seconds(2);
constexpr auto kTurnPoll = std::chrono::milliseconds(20);

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

class Session;

}  // namespace

struct HttpServer::Impl {
  DetectorService& service;
  ServerOptions options;
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  net::thread_pool workers;
  net::steady_timer drain{io}, retry{io};
  std::atomic<int> free_uploads;
  std::atomic<bool> stopping{false};
  Clock::time_point stop_deadline = Clock::time_point::max();  // set on the I/O thread, read by workers after `stopping`
  std::mutex sessions_mutex;
  std::map<uint64_t, std::weak_ptr<Session>> sessions;
  uint64_t next_session = 0;

  Impl(DetectorService& s, ServerOptions o)
      : service(s), options(o), workers(static_cast<size_t>(std::max(1, o.threads))), free_uploads(std::max(1, o.threads)) {}
  void accept();
  void begin_stop();
  void watch_drain();
  template <class F>
  void for_each_session(F f);
};

namespace {

// One connection: its requests one after another (keep-alive), each read under its deadline, handed to
// the workers, answered. All but the handling runs on the I/O thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl& server, tcp::socket socket, uint64_t id)
      : server_(server), stream_(std::move(socket)), id_(id), turn_(stream_.get_executor()), deadline_timer_(stream_.get_executor()) {}
  ~Session() {
    if (holds_upload_) ++server_.free_uploads;
    std::lock_guard<std::mutex> lock(server_.sessions_mutex);
    server_.sessions.erase(id_);
  }
  void start() { read_header(); }

  // stop(): a request still arriving is answered 503 (by on_read_error), an idle connection closes.
  void stop_reading() {
    if (reading_) cancel_read();
  }
  // Also ends the session's timers: a pending wait would keep it, and the server's run(), alive.
  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    deadline_timer_.cancel();
    turn_.cancel();
  }

 private:
  // The request's deadline is a timer of its own, not the stream's timeout (which closes the socket, and
  // the client would get no 408): when it fires, the read is cancelled and answered.
  void read_header() {
    parser_.emplace();
    parser_->header_limit(kHeaderBytes);
    parser_->body_limit(static_cast<uint64_t>(server_.options.max_upload_bytes) + kFormBytes);
    deadline_ = Clock::now() + seconds(server_.options.request_seconds);
    reading_ = true;
    timed_out_ = false;
    deadline_timer_.expires_at(deadline_);
    deadline_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->reading_) return;  // cancelled: the request arrived whole
      self->timed_out_ = true;
      self->cancel_read();
    });
    stream_.expires_never();
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    if (server_.stopping) return answer(error_response(503, "the server is stopping"), false);
    if (parser_->is_done()) return handle();  // no body
    wait_for_upload_turn();
  }

  // At most `threads` uploads are held at once: a body is read only with a turn, waited for within the
  // request's deadline.
  void wait_for_upload_turn() {
    int free = server_.free_uploads.load();
    while (free > 0 && !server_.free_uploads.compare_exchange_weak(free, free - 1)) {}
    if (free > 0) {
      holds_upload_ = true;
      return read_body();
    }
    if (server_.stopping) return answer(error_response(503, "the server is stopping"), false);
    if (Clock::now() >= deadline_)
      return answer(error_response(503, "the server is busy with other uploads; try again"), false);
    turn_.expires_after(kTurnPoll);
    turn_.async_wait([self = shared_from_this()](beast::error_code) { self->wait_for_upload_turn(); });
  }

  void cancel_read() {
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
  }

  void read_body() {
    auto go = [self = shared_from_this()] {
      http::async_read(self->stream_, self->buffer_, *self->parser_, [self](beast::error_code ec, size_t) {
        if (ec) return self->on_read_error(ec);
        self->handle();
      });
    };
    // A client that asked first (curl does for uploads over 1 KiB) is told to send the body.
    if (!beast::iequals(parser_->get()[http::field::expect], "100-continue")) return go();
    auto proceed = std::make_shared<http::response<http::empty_body>>(http::status::continue_, parser_->get().version());
    http::async_write(stream_, *proceed, [self = shared_from_this(), proceed, go](beast::error_code ec, size_t) {
      if (ec) return self->close();
      go();
    });
  }

  void on_read_error(beast::error_code ec) {
    reading_ = false;
    deadline_timer_.cancel();
    const bool started = parser_->got_some() || buffer_.size() > 0;  // a header not yet whole stays in the buffer
    if (ec == http::error::end_of_stream || (!started && ec == net::error::operation_aborted))
      return close();  // the client is done, or an idle keep-alive connection ends
    if (ec == net::error::operation_aborted && !timed_out_) return answer(error_response(503, "the server is stopping"), false);
    if (ec == net::error::operation_aborted)
      return answer(error_response(408, concat_message("the request did not arrive whole within ", server_.options.request_seconds,
                                                       " s (--request-seconds)")), false);
    if (ec == http::error::header_limit)
      return answer(error_response(431, concat_message("the request's header fields are over ", kHeaderBytes >> 10, " KiB")), false);
    if (ec == http::error::body_limit)
      return answer(error_response(413, concat_message("the upload is over the limit of ", server_.options.max_upload_bytes >> 20,
                                                       " MiB (--max-upload-mb)")), false);
    if (ec.category() == http::make_error_code(http::error::bad_method).category())  // Beast's parser named what is wrong
      return answer(error_response(400, "a malformed request: " + ec.message()), false);
    close();  // the connection broke (reset, ...): nobody to answer
  }

  // The request is whole: a worker answers it (decoding and inference), the I/O thread writes the answer.
  void handle() {
    reading_ = false;
    deadline_timer_.cancel();
    auto request = std::make_shared<HttpRequest>(parser_->release());
    const bool keep_alive = request->keep_alive();
    net::post(server_.workers, [self = shared_from_this(), request, keep_alive]() mutable {
      HttpResponse res = self->server_.stopping && Clock::now() > self->server_.stop_deadline
                             ? error_response(503, "the server is stopping", request->version())
                             : route(self->server_.service, *request);
      request.reset();  // the upload's bytes go before the answer is written
      auto answer = std::make_shared<HttpResponse>(std::move(res));
      net::post(self->stream_.get_executor(), [self, answer, keep_alive] { self->answer(std::move(*answer), keep_alive); });
    });
  }

  void answer(HttpResponse res, bool keep_alive) {
    reading_ = false;  // whatever led here (a whole request, or one refused early), its deadline is over
    deadline_timer_.cancel();
    if (holds_upload_) {  // the body was handled: the next upload may come in
      holds_upload_ = false;
      ++server_.free_uploads;
    }
    response_ = std::move(res);
    response_.set(http::field::server, "rcnn serve");
    response_.keep_alive(keep_alive && !server_.stopping);
    response_.prepare_payload();
    stream_.expires_after(kWriteTime);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      if (self->response_.keep_alive()) return self->read_header();
      self->linger();
    });
  }

  // Closing at once could reset the connection before the client has read the answer (it may still
  // be sending a body we refused): stop sending, read and drop what still comes, briefly, then close.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    drop_rest();
  }
  void drop_rest() {
    stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->drop_rest();
    });
  }

  HttpServer::Impl& server_;
  beast::tcp_stream stream_;
  uint64_t id_;
  beast::flat_buffer buffer_{kReadBuffer};
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpResponse response_;
  Clock::time_point deadline_;
  net::steady_timer turn_, deadline_timer_;
  bool holds_upload_ = false, reading_ = false, timed_out_ = false;
  char discard_[4096];
};

}  // namespace

template <class F>
void HttpServer::Impl::for_each_session(F f) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex);
    for (auto& [id, weak] : sessions)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) f(*s);
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(io, [this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor.is_open()) return;  // closed: stopping
    if (ec) {  // out of file descriptors, say: accept again a little later, never stop accepting
      retry.expires_after(std::chrono::milliseconds(100));
      retry.async_wait([this](beast::error_code) { accept(); });
      return;
    }
    std::shared_ptr<Session> session;
    {
      std::lock_guard<std::mutex> lock(sessions_mutex);
      if (sessions.size() < static_cast<size_t>(std::max(1, options.max_connections))) {
        session = std::make_shared<Session>(*this, std::move(socket), next_session);
        sessions[next_session++] = session;
      }
    }
    if (session) {
      session->start();
    } else {  // full: a short answer on the new socket, written at once (it fits in the kernel's buffer)
      HttpResponse res = error_response(503, "the server has too many open connections; try again");
      res.keep_alive(false);
      res.prepare_payload();
      beast::error_code ignored;
      http::write(socket, res, ignored);
      socket.close(ignored);
    }
    accept();
  });
}

void HttpServer::Impl::begin_stop() {
  if (stopping) return;
  stop_deadline = Clock::now() + seconds(options.stop_seconds);
  stopping = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  for_each_session([](Session& s) { s.stop_reading(); });
  watch_drain();
}

// After stop(): done when every connection has closed; at the deadline the rest are closed.
void HttpServer::Impl::watch_drain() {
  bool empty;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex);
    empty = sessions.empty();
  }
  if (empty) return;
  if (Clock::now() >= stop_deadline) return for_each_session([](Session& s) { s.close(); });
  drain.expires_after(std::chrono::milliseconds(50));
  drain.async_wait([this](beast::error_code) { watch_drain(); });
}

HttpServer::HttpServer(DetectorService& service, ServerOptions options) : impl_(std::make_unique<Impl>(service, options)) {}

// Answers the workers posted after run() returned are run here, on closed sockets, so that every
// session ends while the server's members it touches still exist.
HttpServer::~HttpServer() {
  impl_->workers.join();
  impl_->for_each_session([](Session& s) { s.close(); });
  impl_->io.restart();
  impl_->io.run();
}

int HttpServer::bind(const std::string& host, int port) {
  Impl& s = *impl_;
  beast::error_code ec;
  tcp::resolver resolver(s.io);
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  check(!ec && !endpoints.empty(), "serve: cannot listen on ", host, ":", port, " (not an address of this machine?): ", ec.message());
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  check(!ec, "serve: cannot listen on ", host, ":", port, " (in use, or not an address of this machine?): ", ec.message());
  return s.acceptor.local_endpoint().port();
}

void HttpServer::run() {
  Impl& s = *impl_;
  if (!s.stopping && s.acceptor.is_open()) s.accept();
  s.io.run();
  s.workers.join();  // an inference under way when the stop deadline passed
}

void HttpServer::stop() {
  net::post(impl_->io, [this] { impl_->begin_stop(); });
}

}  // namespace rcnn::serve
