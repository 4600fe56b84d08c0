/// Kubernetes' `$(VAR)` references in env values, command and args: `$(NAME)` becomes the value of
/// NAME when it is defined, and stays as written when it is not; `$$` is an escaped `$` (so
/// `$$(NAME)` yields `$(NAME)`); a `$` before anything else, or a `$(` never closed, is kept.
public enum EnvExpansion {
    public static func expand(_ input: String, _ lookup: (String) -> String?) -> String {
        guard input.contains("$") else { return input }
        let chars = Array(input)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "$", i + 1 < chars.count else {
                out.append(c)
                i += 1
                continue
            }
            let next = chars[i + 1]
            if next == "$" {
                out.append("$")
                i += 2
            } else if next == "(" {
                guard let close = chars[(i + 2)...].firstIndex(of: ")") else {
                    out.append(contentsOf: String(chars[i...]))
                    return out
                }
                let name = String(chars[(i + 2)..<close])
                if let value = lookup(name) {
                    out.append(contentsOf: value)
                } else {
                    out.append(contentsOf: "$(\(name))")
                }
                i = close + 1
            } else {
                out.append(c)
                out.append(next)
                i += 2
            }
        }
        return out
    }

    /// Expands `input` against `env`, the later of two equal names winning, as the container sees it.
    public static func expand(_ input: String, env: [(name: String, value: String)]) -> String {
        var table: [String: String] = [:]
        for variable in env { table[variable.name] = variable.value }
        return expand(input) { table[$0] }
    }
}
