extension Kernel {
    /// A canonical text of the elaborated kernel: name, parameter values,
    /// tensors (role, type, shape) and stages (index variables, reduction,
    /// value printed with `Expr.description`). The leading comment is left
    /// out, so editing it keeps the identity.
    public var canonicalText: String {
        var text = "kernel \(name)\n"
        for p in parameters { text += "param \(p.name)=\(p.value)\n" }
        for t in tensors { text += "\(t.role.rawValue) \(t.name): \(t.type.rawValue)\(t.shape)\n" }
        for s in stages {
            text += "\(s.name)[\(s.indexVariables.joined(separator: ","))] = "
            if let r = s.reduction {
                text += "\(r.op.rawValue)(\(r.axes.map { "\($0.name)<\($0.extent)" }.joined(separator: ","))) "
            }
            text += "\(s.value)\n"
        }
        return text
    }
}
