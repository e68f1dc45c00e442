/// The ARC sets of a message by instance (RFC 8617 §4.1): each instance must have exactly
/// one ARC-Authentication-Results, ARC-Message-Signature and ARC-Seal, and instances must run
/// 1…N without gaps. A message that breaks that has a failed chain (§5.2 step 3).
struct ARCSets {
    struct Set {
        var results: HeaderField?
        var messageSignature: HeaderField?
        var seal: HeaderField?
    }

    enum Failure: Error, Equatable {
        case structure(String)
    }

    private(set) var byInstance: [Int: Set] = [:]

    private init() {}
    /// No sets: what a sealer starts from when the sets present are broken (it seals cv=fail).
    static let empty = ARCSets()
    var highest: Int { byInstance.keys.max() ?? 0 }

    init(header: HeaderBlock) throws(Failure) {
        for field in header.fields {
            let kind: WritableKeyPath<Set, HeaderField?>
            if field.hasName("ARC-Seal") { kind = \.seal }
            else if field.hasName("ARC-Message-Signature") { kind = \.messageSignature }
            else if field.hasName("ARC-Authentication-Results") { kind = \.results }
            else { continue }
            guard let instance = Self.instance(of: field) else { throw .structure("\(field.name) without a valid i=") }
            var set = byInstance[instance] ?? Set()
            guard set[keyPath: kind] == nil else { throw .structure("two \(field.name) fields for i=\(instance)") }
            set[keyPath: kind] = field
            byInstance[instance] = set
        }
        for instance in 1...max(1, highest) where !byInstance.isEmpty {
            guard let set = byInstance[instance], set.results != nil, set.messageSignature != nil, set.seal != nil else {
                throw .structure("ARC set \(instance) incomplete or missing")
            }
        }
    }

    /// The i= of an ARC field: the first tag, 1…50 (§4.2.1).
    static func instance(of field: HeaderField) -> Int? {
        let value = ASCII.trimmed(field.value)
        let semicolon = value.firstIndex(of: UInt8(ascii: ";")) ?? value.endIndex
        let first = ASCII.trimmed(value[..<semicolon])
        guard first.count >= 3, first.first == UInt8(ascii: "i") else { return nil }
        let afterName = ASCII.trimmed(first.dropFirst())
        guard afterName.first == UInt8(ascii: "=") else { return nil }
        let digits = ASCII.trimmed(afterName.dropFirst())
        guard !digits.isEmpty, digits.count <= 2, digits.allSatisfy(ASCII.isDigit) else { return nil }
        let number = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        return (1...ARCLimits.maxInstances).contains(number) ? number : nil
    }

    /// The fields an ARC-Seal of `instance` signs, in order: AAR, AMS, AS of 1…instance (§5.1.1).
    func sealedFields(through instance: Int) -> [HeaderField] {
        (1...instance).flatMap { index -> [HeaderField] in
            guard let set = byInstance[index] else { return [] }
            return [set.results, set.messageSignature, set.seal].compactMap { $0 }
        }
    }

    mutating func add(_ set: Set, instance: Int) { byInstance[instance] = set }
}
