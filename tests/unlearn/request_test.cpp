#include "lethe/unlearn/request.h"

#include <gtest/gtest.h>

#include "lethe/core/error.h"

using lethe::unlearn::parse_request;
using lethe::unlearn::Request;

TEST(Request, ParsesEveryKind) {
  auto c = parse_request("client:3");
  EXPECT_EQ(c.kind, Request::Kind::kClient);
  EXPECT_EQ(c.client, 3);
  EXPECT_EQ(c.str(), "client:3");
  EXPECT_EQ(c.slug(), "client-3");
  auto s = parse_request("samples:1:0.05");
  EXPECT_EQ(s.kind, Request::Kind::kSamples);
  EXPECT_EQ(s.client, 1);
  EXPECT_DOUBLE_EQ(s.fraction, 0.05);
  EXPECT_EQ(parse_request("samples:@ids.txt").ids_file, "ids.txt");
  auto k = parse_request("concept:Cat");
  EXPECT_EQ(k.kind, Request::Kind::kConcept);
  EXPECT_EQ(k.word, "cat");
}

TEST(Request, ErrorsNameTheProblem) {
  auto expect_error = [](const std::string& text, const std::string& part) {
    try {
      parse_request(text);
      FAIL() << text;
    } catch (const lethe::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error("client:x", "not a non-negative integer");
  expect_error("client:-1", "not a non-negative integer");
  expect_error("client", "client:K");
  expect_error("samples:1:2.0", "must be in (0, 1]");
  expect_error("samples:1:abc", "is not a number");
  expect_error("concept:", "concept:WORD");
  expect_error("clinet:0", "did you mean 'client'");
}
