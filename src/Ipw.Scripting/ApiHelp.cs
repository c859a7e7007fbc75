using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Ipw.Scripting;

/// <summary>
/// The script API's documentation, for <c>#help</c>: signatures from the types themselves, descriptions from the XML
/// docs the build writes beside the assembly, so the help and the code cannot drift apart.
/// </summary>
public static partial class ApiHelp
{
    private static readonly Type[] Documented = [typeof(ScriptGlobals), typeof(RunHandle), typeof(ScriptEvents)];
    private static readonly Lazy<Dictionary<string, string>> Docs = new(LoadDocs);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    /// <summary>Every member of the API, or those whose name starts with <paramref name="member"/>.</summary>
    public static string Text(string? member = null)
    {
        var text = new StringBuilder();
        foreach (var type in Documented)
        {
            var members = Members(type).Where(m => member is null || m.Name.StartsWith(member, StringComparison.OrdinalIgnoreCase)).ToList();
            if (members.Count == 0) continue;
            text.AppendLine(type == typeof(ScriptGlobals) ? "Globals (call them directly):" : $"{type.Name}:");
            if (member is null && Summary(type) is { } about) text.AppendLine("  " + about);
            foreach (var group in members.GroupBy(m => m.Name))
            {
                foreach (var m in group) text.AppendLine("  " + Signature(m));
                if (group.Select(Summary).FirstOrDefault(s => s is not null) is { } summary) text.AppendLine("      " + summary);
            }
            text.AppendLine();
        }
        if (text.Length == 0) return $"no member of the script API starts with '{member}'\n";
        return text.ToString();
    }

    private static IEnumerable<MemberInfo> Members(Type type) =>
        type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m is PropertyInfo or EventInfo || (m is MethodInfo mi && !mi.IsSpecialName && m.Name is not ("ToString" or "Equals" or "GetHashCode")))
            .OrderBy(m => m is MethodInfo ? 1 : 0).ThenBy(m => m.MetadataToken);

    private static string Signature(MemberInfo m) => m switch
    {
        PropertyInfo p => $"{TypeName(p.PropertyType)} {p.Name}{(p.CanWrite && p.SetMethod!.IsPublic ? " { get; set; }" : "")}",
        EventInfo e => $"event {TypeName(e.EventHandlerType!)} {e.Name}",
        MethodInfo mi => $"{TypeName(mi.ReturnType)} {mi.Name}({string.Join(", ", mi.GetParameters().Select(Parameter))})",
        _ => m.Name,
    };

    private static string Parameter(ParameterInfo p)
    {
        var prefix = p.GetCustomAttribute<ParamArrayAttribute>() is not null ? "params " : "";
        var value = p.HasDefaultValue ? " = " + (p.DefaultValue switch { null => "null", string s => $"\"{s}\"", bool b => b ? "true" : "false", var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) }) : "";
        return $"{prefix}{TypeName(p.ParameterType)} {p.Name}{value}";
    }

    private static string TypeName(Type t)
    {
        if (Nullable.GetUnderlyingType(t) is { } inner) return TypeName(inner) + "?";
        if (t == typeof(void)) return "void";
        if (t == typeof(string)) return "string";
        if (t == typeof(int)) return "int";
        if (t == typeof(double)) return "double";
        if (t == typeof(bool)) return "bool";
        if (t.IsArray) return TypeName(t.GetElementType()!) + "[]";
        if (!t.IsGenericType) return t.Name;
        var name = t.Name[..t.Name.IndexOf('`')];
        return $"{name}<{string.Join(", ", t.GetGenericArguments().Select(TypeName))}>";
    }

    private static string? Summary(MemberInfo m)
    {
        var prefix = m switch { Type => "T:", PropertyInfo => "P:", EventInfo => "E:", _ => "M:" };
        var owner = m is Type t ? t.FullName : m.DeclaringType!.FullName;
        var key = m is Type ? prefix + owner : $"{prefix}{owner}.{m.Name}";
        var docs = Docs.Value;
        if (docs.TryGetValue(key, out var exact)) return exact;
        // Methods are keyed with their parameter types: the first overload's text stands for the group.
        return docs.FirstOrDefault(d => d.Key.StartsWith(key + "(", StringComparison.Ordinal)).Value;
    }

    /// <summary>"M:Ipw.Scripting.ScriptGlobals.Profile(Ipw.Core.Profiling.ProfileOptions,System.Boolean)" → "Profile".</summary>
    private static string ShortName(string cref)
    {
        var name = cref.Split('(')[0];
        name = name[(name.IndexOf(':') + 1)..];
        return name[(name.LastIndexOf('.') + 1)..];
    }

    private static Dictionary<string, string> LoadDocs()
    {
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = Path.ChangeExtension(typeof(ApiHelp).Assembly.Location, ".xml");
        if (!File.Exists(file)) return docs;
        foreach (var member in XDocument.Load(file).Descendants("member"))
        {
            if (member.Attribute("name")?.Value is not { } name || member.Element("summary") is not { } summary) continue;
            var text = string.Concat(summary.Nodes().Select(n => n switch
            {
                XText x => x.Value,
                XElement e when e.Name == "see" => ShortName(e.Attribute("cref")?.Value ?? e.Attribute("langword")?.Value ?? ""),
                XElement e when e.Name == "paramref" => e.Attribute("name")?.Value ?? "",
                XElement e => e.Value,
                _ => "",
            }));
            docs[name] = Spaces().Replace(text, " ").Trim();
        }
        return docs;
    }
}
