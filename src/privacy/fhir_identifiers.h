// Finds the direct identifiers in FHIR JSON by where they sit (element paths),
// for pseudonymisation (privacy/pseudonymizer.h).
//
// In a Patient, RelatedPerson or Person resource (a "subject"): its id, names
// (text, family, given, and the full name as written), identifiers (by type: MR,
// SS, DL, PPN, other), telecom, address parts below state level (line, city,
// district, postalCode, text; also inside extensions, e.g. a birth place) and
// geolocation, birth and death dates, photos, contacts' names, telecom and
// addresses, and a mother's maiden name extension. In any resource: a reference
// to a subject (its id, and its display as that subject's name) and attachment
// data and URLs. Any JSON holding resources is walked: a resource, a Bundle, a list
// of them, or objects around them. Pure and stateless; recursion is bounded by
// the depth of the parsed value (parse it with util/json_limits.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ward {

// Which kind of identifier a value is; chooses its token's field name and the
// category it is counted under.
enum class IdentifierField {
  kId,          // a subject's resource id
  kName,        // a full name (text, display, or given + family)
  kMaidenName,  // a mother's maiden name (another person's name)
  kGiven,
  kFamily,
  kMrn,
  kSsn,
  kLicense,
  kPassport,
  kIdentifier,  // another Identifier.value
  kPhone,
  kEmail,
  kUrl,
  kTelecom,  // another ContactPoint
  kAddress,  // a line or the address text
  kCity,
  kDistrict,
  kPostalCode,
  kGeo,  // latitude / longitude
  kBirthDate,
  kDeathDate,
  kPhoto,
  kAttachment,  // attachment data or URL outside a subject
};

struct FoundIdentifier {
  std::string owner;  // "Patient/<id>", "RelatedPerson/<id>", "Person/<id>"; "" when none
  IdentifierField field = IdentifierField::kIdentifier;
  std::string value;
  std::vector<std::string> variants;  // other spellings of the same value ("Family, Given")
};

// Appends the identifiers found in `value` to `out`.
void CollectIdentifiers(const nlohmann::json& value, std::vector<FoundIdentifier>* out);

// The token field name ("name", "mrn", "birthDate", ...; "" for kId).
const char* IdentifierFieldName(IdentifierField field);
// The category counted in audit entries: "name", "identifier", "date", "telecom",
// "address" or "attachment".
const char* IdentifierCategory(IdentifierField field);

}  // namespace ward
