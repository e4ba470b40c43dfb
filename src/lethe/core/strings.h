#pragma once
// Small string helpers shared by registries, config and the CLI.
#include <string>
#include <string_view>
#include <vector>

namespace lethe {

// Edit distance (byte-wise; an adjacent swap counts as one edit).
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` if it is plausibly a typo of it, else "".
std::string closest_match(std::string_view name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" — ready to append to an error message.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::vector<std::string> split(std::string_view s, char sep);
std::string trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);

// `s` made safe to print on one line: valid UTF-8 text is kept as is; every byte of an invalid
// sequence and of a control character (C0 but tab, DEL, C1) becomes "\xNN". Messages that quote
// input bytes (a decoder's reason, a file's content) and every log and CLI error line pass
// through it, so stderr and logs stay valid UTF-8 whatever the input held.
std::string printable(std::string_view s);

}  // namespace lethe
