// Bounds on what a peer's frame or bundle chunk may hold, checked before it
// is parsed (sync/wire_scan.h) or believed. Each is far above what an honest
// node sends and low enough that the worst frame costs little memory.
#pragma once

#include <cstddef>

namespace accord::sync {

// A decoded frame or bundle chunk may not expand beyond this (compression bombs).
inline constexpr size_t kMaxFrameBytes = size_t{32} << 20;
// States in one page or chunk; servers cap page_size requests to this too.
inline constexpr size_t kMaxStatesPerPage = 5000;
// Unit proofs in one page: one per unit its states touch, plus witnesses.
inline constexpr size_t kMaxUnitsPerPage = 2 * kMaxStatesPerPage + 1024;
// Absent-member hashes in one page (a unit has at most 64 members).
inline constexpr size_t kMaxAbsentHashesPerPage = 64 * 1024;
// Certificates in one page, and distinct nodes in a knowledge or a vector:
// a deployment has tens of offices, not thousands.
inline constexpr size_t kMaxCertificatesPerPage = 1024;
inline constexpr size_t kMaxKnowledgeEntries = 1024;
inline constexpr size_t kMaxVectorEntries = 1024;
// Vector entries in all the states of one page: states are parsed before
// their proofs are checked, and 5,000 states of 1,024 entries held ~200 MB.
// An honest page of 5,000 states written by 30 offices each holds 150,000.
inline constexpr size_t kMaxVectorEntriesPerPage = size_t{1} << 18;
// Refusals told back in one request or reply: one per state of a page at most.
inline constexpr size_t kMaxRefusalsPerPage = kMaxStatesPerPage;
// Records told to have left the receiver's scope, in one page or chunk (a
// sender tells at most 4,000: core/store.h).
inline constexpr size_t kMaxScopeExitsPerPage = kMaxStatesPerPage;
// Fields of any kind, known or unknown, at any depth, in one frame or chunk
// (a state's bytes are one field here, and bounded on their own below): a
// page at every limit above holds about 330,000. Protobuf allocates for each
// field it parses, unknown ones included.
inline constexpr size_t kMaxFieldsPerFrame = size_t{1} << 20;
// Fields of any kind in one state: its vector's entries are 3 each.
inline constexpr size_t kMaxFieldsPerState = 4 * kMaxVectorEntries;

}  // namespace accord::sync
