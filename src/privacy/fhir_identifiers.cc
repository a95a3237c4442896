#include "privacy/fhir_identifiers.h"

#include <string_view>

namespace ward {
namespace {

using nlohmann::json;

bool IsSubjectType(std::string_view type) {
  return type == "Patient" || type == "RelatedPerson" || type == "Person";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string StringAt(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return (it != object.end() && it->is_string()) ? it->get<std::string>() : "";
}

// Synthea-style names carry a number ("Alfreda123"); code that cleans them prints
// the name without it.
std::vector<std::string> WithoutTrailingDigits(const std::string& name) {
  size_t end = name.size();
  while (end > 0 && name[end - 1] >= '0' && name[end - 1] <= '9') --end;
  if (end == name.size() || end < 2) return {};
  return {name.substr(0, end)};
}

// Each word of `names` without its number: "Alfreda123 Jo4" -> "Alfreda Jo".
std::string StripDigitSuffixes(const std::string& names) {
  std::string out;
  size_t start = 0;
  while (start <= names.size()) {
    size_t end = names.find(' ', start);
    if (end == std::string::npos) end = names.size();
    std::string word = names.substr(start, end - start);
    auto plain = WithoutTrailingDigits(word);
    out += (out.empty() ? "" : " ") + (plain.empty() ? word : plain[0]);
    start = end + 1;
  }
  return out;
}

// The lines of a multi-line text, each trimmed; empty when it has one line.
std::vector<std::string> LinesOf(const std::string& text) {
  std::vector<std::string> out;
  if (text.find('\n') == std::string::npos) return out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    size_t first = line.find_first_not_of(" \t\r,");
    size_t last = line.find_last_not_of(" \t\r,");
    if (first != std::string::npos) out.push_back(line.substr(first, last - first + 1));
    start = end + 1;
  }
  return out;
}

class Collector {
 public:
  explicit Collector(std::vector<FoundIdentifier>* out) : out_(out) {}

  void Walk(const json& value) {
    if (value.is_array()) {
      for (const json& item : value) Walk(item);
      return;
    }
    if (!value.is_object()) return;
    std::string type = StringAt(value, "resourceType");
    if (IsSubjectType(type)) {
      Subject(value, type);
    } else {
      Other(value);
    }
  }

 private:
  void Add(const std::string& owner, IdentifierField field, const std::string& value,
           std::vector<std::string> variants = {}) {
    if (!value.empty()) out_->push_back({owner, field, value, std::move(variants)});
  }

  void Subject(const json& r, const std::string& type) {
    std::string id = StringAt(r, "id");
    std::string owner = id.empty() ? "" : type + "/" + id;
    Add(owner, IdentifierField::kId, id);
    // The subject's own name first: its tokens (.family, .given, .name) must not
    // go to a contact's name, which sorts before it ("contact" < "name").
    if (auto name = r.find("name"); name != r.end()) Names(owner, *name);
    for (const auto& [key, v] : r.items()) {
      if (key == "name") {
        continue;
      } else if (key == "identifier") {
        Identifiers(owner, v);
      } else if (key == "telecom") {
        Telecoms(owner, v);
      } else if (key == "address") {
        Addresses(owner, v);
      } else if (key == "birthDate") {
        if (v.is_string()) Add(owner, IdentifierField::kBirthDate, v.get<std::string>());
      } else if (key == "deceasedDateTime") {
        if (v.is_string()) Add(owner, IdentifierField::kDeathDate, v.get<std::string>());
      } else if (key == "photo") {
        Attachments(owner, v, IdentifierField::kPhoto);
      } else if (key == "contact") {
        Contacts(owner, v);
      } else if (key == "extension" || key == "modifierExtension") {
        Extensions(owner, v);
      } else if (key == "contained") {
        Walk(v);
      } else if (v.is_object() || v.is_array()) {
        Other(v);  // references, attachments further in
      }
    }
  }

  // Anything that is not a subject: resources may be nested (Bundle.entry.resource,
  // contained, search results); references and attachments may be anywhere.
  void Other(const json& v) {
    if (v.is_array()) {
      for (const json& item : v) Other(item);
      return;
    }
    if (!v.is_object()) return;
    if (IsSubjectType(StringAt(v, "resourceType"))) {
      Walk(v);
      return;
    }
    Reference(v);
    if (v.contains("contentType") && (v.contains("data") || v.contains("url"))) {
      Add("", IdentifierField::kAttachment, StringAt(v, "data"));
      Add("", IdentifierField::kAttachment, StringAt(v, "url"));
    }
    for (const auto& [key, item] : v.items())
      if (item.is_object() || item.is_array()) Other(item);
  }

  // {"reference": "Patient/123", "display": "..."}: the id and the name it shows;
  // also a reference typed only by Reference.type ("urn:uuid:...", or none), and
  // a logical reference by Reference.identifier (an MRN, an SSN).
  void Reference(const json& v) {
    std::string type, id;
    SplitReference(StringAt(v, "reference"), &type, &id);
    if (type.empty()) {
      std::string declared = StringAt(v, "type");  // "Patient" or a URL ending in it
      type =
          declared.substr(declared.rfind('/') == std::string::npos ? 0 : declared.rfind('/') + 1);
    }
    if (!IsSubjectType(type)) return;
    std::string owner = id.empty() ? "" : type + "/" + id;
    Add(owner, IdentifierField::kId, id);
    Add(owner, IdentifierField::kName, StringAt(v, "display"));
    if (auto identifier = v.find("identifier"); identifier != v.end() && identifier->is_object())
      Add(owner, IdentifierKind(*identifier), StringAt(*identifier, "value"));
  }

  // "Patient/123", ".../fhir/Patient/123/_history/2" -> Patient, 123;
  // "urn:uuid:abc" -> "", abc.
  static void SplitReference(std::string ref, std::string* type, std::string* id) {
    if (ref.rfind("urn:uuid:", 0) == 0) {
      *id = ref.substr(9);
      return;
    }
    // Absolute references end in Type/id too; a version suffix is _history/N.
    if (size_t history = ref.find("/_history/"); history != std::string::npos)
      ref = ref.substr(0, history);
    size_t slash = ref.rfind('/');
    if (slash == std::string::npos || slash == 0) return;
    size_t type_start = ref.rfind('/', slash - 1);
    type_start = type_start == std::string::npos ? 0 : type_start + 1;
    *type = ref.substr(type_start, slash - type_start);
    *id = ref.substr(slash + 1);
  }

  void Names(const std::string& owner, const json& names) {
    for (const json& n : names.is_array() ? names : json::array({names})) {
      if (!n.is_object()) continue;
      Add(owner, IdentifierField::kName, StringAt(n, "text"));
      std::string family = StringAt(n, "family");
      std::string givens;
      if (auto g = n.find("given"); g != n.end() && g->is_array()) {
        for (const json& given : *g) {
          if (!given.is_string()) continue;
          const std::string& g_value = given.get_ref<const std::string&>();
          Add(owner, IdentifierField::kGiven, g_value, WithoutTrailingDigits(g_value));
          givens += (givens.empty() ? "" : " ") + g_value;
        }
      }
      Add(owner, IdentifierField::kFamily, family, WithoutTrailingDigits(family));
      if (!givens.empty() && !family.empty()) {
        std::vector<std::string> variants = {family + ", " + givens, family + "," + givens,
                                             family + " " + givens};
        std::string plain_givens = StripDigitSuffixes(givens);
        std::string plain_family = StripDigitSuffixes(family);
        if (plain_givens != givens || plain_family != family) {
          variants.push_back(plain_givens + " " + plain_family);
          variants.push_back(plain_family + ", " + plain_givens);
        }
        Add(owner, IdentifierField::kName, givens + " " + family, std::move(variants));
      }
    }
  }

  static IdentifierField IdentifierKind(const json& identifier) {
    std::string system = StringAt(identifier, "system");
    if (EndsWith(system, "us-ssn")) return IdentifierField::kSsn;
    const json* type = identifier.contains("type") ? &identifier["type"] : nullptr;
    if (type && type->is_object() && type->contains("coding") && (*type)["coding"].is_array()) {
      for (const json& coding : (*type)["coding"]) {
        std::string code = StringAt(coding, "code");
        if (code == "MR") return IdentifierField::kMrn;
        if (code == "SS" || code == "SB") return IdentifierField::kSsn;
        if (code == "DL") return IdentifierField::kLicense;
        if (code == "PPN") return IdentifierField::kPassport;
      }
    }
    return IdentifierField::kIdentifier;
  }

  // Typed identifiers first: a value that is also listed untyped (Synthea repeats
  // the MRN so) is named by its type.
  void Identifiers(const std::string& owner, const json& list) {
    for (bool typed : {true, false}) {
      for (const json& i : list.is_array() ? list : json::array({list})) {
        if (!i.is_object()) continue;
        IdentifierField kind = IdentifierKind(i);
        if ((kind != IdentifierField::kIdentifier) == typed) Add(owner, kind, StringAt(i, "value"));
      }
    }
  }

  void Telecoms(const std::string& owner, const json& list) {
    for (const json& t : list.is_array() ? list : json::array({list})) {
      if (!t.is_object()) continue;
      std::string system = StringAt(t, "system");
      IdentifierField field =
          (system == "phone" || system == "fax" || system == "sms" || system == "pager")
              ? IdentifierField::kPhone
          : system == "email" ? IdentifierField::kEmail
          : system == "url"   ? IdentifierField::kUrl
                              : IdentifierField::kTelecom;
      Add(owner, field, StringAt(t, "value"));
    }
  }

  void Address(const std::string& owner, const json& a) {
    if (!a.is_object()) return;
    if (auto line = a.find("line"); line != a.end() && line->is_array())
      for (const json& l : *line)
        if (l.is_string()) Add(owner, IdentifierField::kAddress, l.get<std::string>());
    std::string text = StringAt(a, "text");
    Add(owner, IdentifierField::kAddress, text);
    for (const std::string& line : LinesOf(text)) Add(owner, IdentifierField::kAddress, line);
    Add(owner, IdentifierField::kCity, StringAt(a, "city"));
    Add(owner, IdentifierField::kDistrict, StringAt(a, "district"));
    // A ZIP+4 is also printed as its five-digit ZIP.
    std::string postal = StringAt(a, "postalCode");
    std::vector<std::string> zip;
    if (postal.size() == 10 && postal[5] == '-') zip.push_back(postal.substr(0, 5));
    Add(owner, IdentifierField::kPostalCode, postal, std::move(zip));
    if (a.contains("extension")) Extensions(owner, a["extension"]);
  }

  void Addresses(const std::string& owner, const json& list) {
    for (const json& a : list.is_array() ? list : json::array({list})) Address(owner, a);
  }

  void Attachments(const std::string& owner, const json& list, IdentifierField field) {
    for (const json& a : list.is_array() ? list : json::array({list})) {
      Add(owner, field, StringAt(a, "data"));
      Add(owner, field, StringAt(a, "url"));
    }
  }

  void Contacts(const std::string& owner, const json& list) {
    for (const json& c : list.is_array() ? list : json::array({list})) {
      if (!c.is_object()) continue;
      if (c.contains("name")) Names(owner, c["name"]);
      if (c.contains("telecom")) Telecoms(owner, c["telecom"]);
      if (c.contains("address")) Addresses(owner, c["address"]);
    }
  }

  // Extensions of a subject: a mother's maiden name, addresses (birth place),
  // geolocation, names; nested extensions too.
  void Extensions(const std::string& owner, const json& list) {
    for (const json& e : list.is_array() ? list : json::array({list})) {
      if (!e.is_object()) continue;
      std::string url = StringAt(e, "url");
      if (EndsWith(url, "mothersMaidenName"))
        Add(owner, IdentifierField::kMaidenName, StringAt(e, "valueString"));
      if ((url == "latitude" || url == "longitude") && e.contains("valueDecimal") &&
          e["valueDecimal"].is_number())
        Add(owner, IdentifierField::kGeo, e["valueDecimal"].dump());
      if (e.contains("valueAddress")) Address(owner, e["valueAddress"]);
      if (e.contains("valueHumanName")) Names(owner, e["valueHumanName"]);
      if (e.contains("extension")) Extensions(owner, e["extension"]);
    }
  }

  std::vector<FoundIdentifier>* out_;
};

}  // namespace

void CollectIdentifiers(const nlohmann::json& value, std::vector<FoundIdentifier>* out) {
  Collector(out).Walk(value);
}

const char* IdentifierFieldName(IdentifierField field) {
  switch (field) {
    case IdentifierField::kId:
      return "";
    case IdentifierField::kName:
      return "name";
    case IdentifierField::kMaidenName:
      return "maidenName";
    case IdentifierField::kGiven:
      return "given";
    case IdentifierField::kFamily:
      return "family";
    case IdentifierField::kMrn:
      return "mrn";
    case IdentifierField::kSsn:
      return "ssn";
    case IdentifierField::kLicense:
      return "license";
    case IdentifierField::kPassport:
      return "passport";
    case IdentifierField::kIdentifier:
      return "identifier";
    case IdentifierField::kPhone:
      return "phone";
    case IdentifierField::kEmail:
      return "email";
    case IdentifierField::kUrl:
      return "url";
    case IdentifierField::kTelecom:
      return "telecom";
    case IdentifierField::kAddress:
      return "address";
    case IdentifierField::kCity:
      return "city";
    case IdentifierField::kDistrict:
      return "district";
    case IdentifierField::kPostalCode:
      return "postalCode";
    case IdentifierField::kGeo:
      return "geo";
    case IdentifierField::kBirthDate:
      return "birthDate";
    case IdentifierField::kDeathDate:
      return "deathDate";
    case IdentifierField::kPhoto:
      return "photo";
    case IdentifierField::kAttachment:
      return "attachment";
  }
  return "identifier";
}

const char* IdentifierCategory(IdentifierField field) {
  switch (field) {
    case IdentifierField::kName:
    case IdentifierField::kMaidenName:
    case IdentifierField::kGiven:
    case IdentifierField::kFamily:
      return "name";
    case IdentifierField::kPhone:
    case IdentifierField::kEmail:
    case IdentifierField::kUrl:
    case IdentifierField::kTelecom:
      return "telecom";
    case IdentifierField::kAddress:
    case IdentifierField::kCity:
    case IdentifierField::kDistrict:
    case IdentifierField::kPostalCode:
    case IdentifierField::kGeo:
      return "address";
    case IdentifierField::kBirthDate:
    case IdentifierField::kDeathDate:
      return "date";
    case IdentifierField::kPhoto:
    case IdentifierField::kAttachment:
      return "attachment";
    default:
      return "identifier";
  }
}

}  // namespace ward
