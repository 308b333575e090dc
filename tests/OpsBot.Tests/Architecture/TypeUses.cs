using Mono.Cecil;
using Mono.Cecil.Cil;

namespace OpsBot.Tests.Architecture;

/// <summary>One type used by another: in a signature, an attribute, or an instruction of a method body.</summary>
public sealed record TypeUse(TypeDefinition User, TypeReference Used, string Where)
{
    public string UserNamespace => NamespaceOf(User);
    public string UsedNamespace => NamespaceOf(Used);
    public string UsedName => Used.FullName.Replace('/', '+');

    public override string ToString() => $"{User.FullName.Replace('/', '+')} uses {UsedName} ({Where})";

    /// <summary>A nested type (closures, async state machines, local functions' displays) lives in the namespace of its outermost type.</summary>
    public static string NamespaceOf(TypeReference type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type.Namespace;
    }

    /// <summary>Whether <paramref name="ns"/> is <paramref name="area"/> or inside it.</summary>
    public static bool In(string ns, string area) => ns == area || ns.StartsWith(area + ".", StringComparison.Ordinal);
}

/// <summary>
/// Every type use of an assembly, read from its IL with Mono.Cecil: base types, interfaces, attributes, fields, properties,
/// events, method signatures, locals, exception handlers and every type, method and field an instruction refers to
/// (with the generic arguments of each), so a reference written only inside a method body is found too.
/// </summary>
public static class TypeUses
{
    public static List<TypeUse> Of(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var uses = new List<TypeUse>();
        foreach (var type in module.GetTypes())
        {
            void Add(TypeReference? used, string where)
            {
                foreach (var t in Flatten(used)) uses.Add(new TypeUse(type, t, where));
            }

            void Attributes(ICustomAttributeProvider provider, string where)
            {
                foreach (var a in provider.CustomAttributes)
                {
                    Add(a.AttributeType, where + " attribute");
                    foreach (var arg in a.ConstructorArguments.Concat(a.Properties.Select(p => p.Argument)))
                        if (arg.Value is TypeReference typeArgument) Add(typeArgument, where + " attribute argument");
                }
            }

            Add(type.BaseType, "base type");
            foreach (var i in type.Interfaces) Add(i.InterfaceType, "interface");
            Attributes(type, "type");
            foreach (var f in type.Fields) { Add(f.FieldType, "field " + f.Name); Attributes(f, "field " + f.Name); }
            foreach (var p in type.Properties) { Add(p.PropertyType, "property " + p.Name); Attributes(p, "property " + p.Name); }
            foreach (var e in type.Events) Add(e.EventType, "event " + e.Name);
            foreach (var m in type.Methods)
            {
                var where = "method " + m.Name;
                Add(m.ReturnType, where + " return");
                foreach (var p in m.Parameters) Add(p.ParameterType, where + " parameter");
                foreach (var g in m.GenericParameters) foreach (var c in g.Constraints) Add(c.ConstraintType, where + " constraint");
                Attributes(m, where);
                if (!m.HasBody) continue;
                foreach (var v in m.Body.Variables) Add(v.VariableType, where + " local");
                foreach (var h in m.Body.ExceptionHandlers) Add(h.CatchType, where + " catch");
                foreach (var instruction in m.Body.Instructions)
                {
                    switch (instruction.Operand)
                    {
                        case TypeReference t:
                            Add(t, where + " body");
                            break;
                        case MethodReference called:
                            Add(called.DeclaringType, where + " body call");
                            Add(called.ReturnType, where + " body call");
                            foreach (var p in called.Parameters) Add(p.ParameterType, where + " body call");
                            if (called is GenericInstanceMethod generic) foreach (var a in generic.GenericArguments) Add(a, where + " body call");
                            break;
                        case FieldReference field:
                            Add(field.DeclaringType, where + " body field");
                            Add(field.FieldType, where + " body field");
                            break;
                    }
                }
            }
        }
        return uses;
    }

    /// <summary>The named types inside a type expression: element types of arrays and by-refs, a generic type and its arguments.</summary>
    private static IEnumerable<TypeReference> Flatten(TypeReference? type)
    {
        switch (type)
        {
            case null or GenericParameter:
                yield break;
            case GenericInstanceType generic:
                foreach (var t in Flatten(generic.ElementType)) yield return t;
                foreach (var a in generic.GenericArguments) foreach (var t in Flatten(a)) yield return t;
                break;
            case TypeSpecification spec:
                foreach (var t in Flatten(spec.ElementType)) yield return t;
                break;
            default:
                yield return type;
                break;
        }
    }
}
