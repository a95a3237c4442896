#include "ward_server_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

namespace ward::testing {

std::string ApiReply::Header(const std::string& name) const {
  HttpResponse r;
  r.headers = headers;
  return r.Header(name);
}

ServedHome::ServedHome(const std::string& name) : http_(NewHttpClient()) {
  home_ = std::filesystem::temp_directory_path() /
          ("ward_" + name + "_" + std::to_string(getpid()) + "_" + std::to_string(rand()));
  std::filesystem::create_directories(home_);
}

ServedHome::~ServedHome() {
  StopServer();
  std::error_code ec;
  std::filesystem::remove_all(home_, ec);
}

std::map<std::string, std::string> ServedHome::Env() const {
  return {{"HOME", home_.string()}, {"WARD_HOME", home_.string()}};
}

void ServedHome::AddUser(const std::string& name, const std::string& role,
                         const std::string& password) {
  std::string file = (home_ / "password.txt").string();
  std::ofstream(file) << password << "\n";
  auto r = RunWard({"user", "add", name, "--role", role}, Env(), 60'000, file);
  std::filesystem::remove(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::string ServedHome::CreateToken(const std::string& user) {
  auto r = RunWard({"token", "create", "--user", user, "--label", "test"}, Env());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

RoleTokens ServedHome::AddOneUserPerRole() {
  AddUser("ada", "admin", "admin-password-1");
  AddUser("abe", "approver", "approver-password-1");
  AddUser("val", "viewer", "viewer-password-1");
  return {CreateToken("ada"), CreateToken("abe"), CreateToken("val")};
}

std::string ServedHome::Serve(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"serve", "--port", "0", "--heartbeat", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  server_ = std::make_unique<WardProcess>(args, Env());
  std::string line = server_->ReadLine(60'000);
  size_t at = line.find("http");
  if (at == std::string::npos) {
    ADD_FAILURE() << "ward serve printed no URL: " << line << " / " << server_->Wait(5000).err;
    return "";
  }
  url_ = line.substr(at);
  return url_;
}

void ServedHome::StopServer() {
  if (!server_) return;
  server_->Signal(SIGTERM);
  server_->Wait(20'000);
  server_.reset();
}

ApiReply ServedHome::Call(const std::string& method, const std::string& path,
                          const std::string& body, const std::string& token,
                          const HttpHeaders& headers) {
  HttpRequest req;
  req.method = method;
  req.url = url_ + path;
  req.body = body;
  req.headers = headers;
  req.read_timeout_ms = 30'000;
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  auto res = http_->Send(req);
  if (!res.ok()) {
    ADD_FAILURE() << method << " " << path << ": " << res.status().ToString();
    return {};
  }
  return {res->status, res->body, res->headers};
}

}  // namespace ward::testing
