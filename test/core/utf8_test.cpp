// UTF-8 validation against the well-formed byte sequences of Unicode 15, table 3-7.

#include <catch2/catch.hpp>

#include "sim/core/utf8.hpp"

namespace podsim {

TEST_CASE("well-formed UTF-8 passes and the first bad byte is found") {
  CHECK_FALSE(invalid_utf8_offset("plain ASCII"));
  CHECK_FALSE(invalid_utf8_offset("caf\xc3\xa9"));          // é, U+00E9
  CHECK_FALSE(invalid_utf8_offset("\xe2\x82\xac"));         // €, U+20AC
  CHECK_FALSE(invalid_utf8_offset("\xf0\x9f\x98\x80"));     // U+1F600
  CHECK(invalid_utf8_offset("caf\xe9") == 3u);               // Latin-1 é
  CHECK(invalid_utf8_offset("a\xc0\xaf") == 1u);             // overlong '/'
  CHECK(invalid_utf8_offset("\xed\xa0\x80") == 0u);          // surrogate U+D800
  CHECK(invalid_utf8_offset("\xf4\x90\x80\x80") == 0u);      // above U+10FFFF
  CHECK(invalid_utf8_offset("ok\xe2\x82") == 2u);            // cut short
  CHECK(escaped_bytes("caf\xe9\n") == "caf\\xe9\\x0a");
}

}  // namespace podsim
