using System.Text.RegularExpressions;

namespace KvStore.ApiServer.Schema;

/// <summary>kube's name and label rules (k8s.io/apimachinery/pkg/util/validation/validation.go), with its messages.</summary>
internal static partial class NameRules
{
    private const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    private const string Dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string LabelValueFmt = "(" + QualifiedNameFmt + ")?";
    private const string ConfigKeyFmt = "[-._a-zA-Z0-9]+";

    [GeneratedRegex("^" + Dns1123LabelFmt + "$")] private static partial Regex Dns1123Label();
    [GeneratedRegex("^" + Dns1123SubdomainFmt + "$")] private static partial Regex Dns1123Subdomain();
    [GeneratedRegex("^" + Dns1035LabelFmt + "$")] private static partial Regex Dns1035Label();
    [GeneratedRegex("^" + QualifiedNameFmt + "$")] private static partial Regex QualifiedName();
    [GeneratedRegex("^" + LabelValueFmt + "$")] private static partial Regex LabelValue();
    [GeneratedRegex("^" + ConfigKeyFmt + "$")] private static partial Regex ConfigKey();
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])*$")] private static partial Regex IanaSvcName();
    [GeneratedRegex("[a-z]")] private static partial Regex HasLetter();

    private static string RegexError(string msg, string fmt, params string[] examples) =>
        msg + " (e.g. " + string.Join(",  or ", examples.Select(e => $"'{e}'")) + ", regex used for validation is '" + fmt + "')";

    public static IEnumerable<string> IsDns1123Label(string value)
    {
        if (value.Length > 63)
            yield return "must be no more than 63 characters";
        if (!Dns1123Label().IsMatch(value))
            yield return RegexError(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " +
                "and must start and end with an alphanumeric character",
                Dns1123LabelFmt, "my-name", "123-abc");
    }

    public static IEnumerable<string> IsDns1123Subdomain(string value)
    {
        if (value.Length > 253)
            yield return "must be no more than 253 characters";
        if (!Dns1123Subdomain().IsMatch(value))
            yield return RegexError(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
                "and must start and end with an alphanumeric character",
                Dns1123SubdomainFmt, "example.com");
    }

    public static IEnumerable<string> IsDns1035Label(string value)
    {
        if (value.Length > 63)
            yield return "must be no more than 63 characters";
        if (!Dns1035Label().IsMatch(value))
            yield return RegexError(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, " +
                "and end with an alphanumeric character",
                Dns1035LabelFmt, "my-name", "abc-123");
    }

    /// <summary>A label or annotation key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters.</summary>
    public static IEnumerable<string> IsQualifiedName(string value)
    {
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0)
                    yield return "prefix part must be non-empty";
                else
                    foreach (var e in IsDns1123Subdomain(prefix))
                        yield return "prefix part " + e;
                break;
            default:
                yield return RegexError(
                    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', " +
                    "and must start and end with an alphanumeric character",
                    QualifiedNameFmt, "MyName", "my.name", "123-abc") + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
                yield break;
        }
        if (name.Length == 0)
            yield return "name part must be non-empty";
        else if (name.Length > 63)
            yield return "name part must be no more than 63 characters";
        if (name.Length > 0 && !QualifiedName().IsMatch(name))
            yield return RegexError(
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                QualifiedNameFmt, "MyName", "my.name", "123-abc");
    }

    public static IEnumerable<string> IsLabelValue(string value)
    {
        if (value.Length > 63)
            yield return "must be no more than 63 characters";
        if (!LabelValue().IsMatch(value))
            yield return RegexError(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', " +
                "and must start and end with an alphanumeric character",
                LabelValueFmt, "MyValue", "my_value", "12345");
    }

    public static IEnumerable<string> IsConfigMapKey(string value)
    {
        if (value.Length > 253)
            yield return "must be no more than 253 characters";
        if (!ConfigKey().IsMatch(value))
            yield return RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", ConfigKeyFmt,
                "key.name", "KEY_NAME", "key-name");
        if (value == ".")
            yield return "must not be '.'";
        else if (value == "..")
            yield return "must not be '..'";
        else if (value.StartsWith("..", StringComparison.Ordinal))
            yield return "must not start with '..'";
    }

    /// <summary>An IANA service name (a named port): at most 15 characters, lower case letters, digits and '-', with a letter.</summary>
    public static IEnumerable<string> IsValidPortName(string port)
    {
        if (port.Length > 15)
            yield return "must be no more than 15 characters";
        if (!IanaSvcName().IsMatch(port))
            yield return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
        if (!HasLetter().IsMatch(port))
            yield return "must contain at least one letter (a-z)";
        if (port.Contains("--", StringComparison.Ordinal))
            yield return "must not contain consecutive hyphens";
        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-'))
            yield return "must not begin or end with a hyphen";
    }
}
