using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Text;
using WorkloadProfiles.Domain.Normalization;

namespace WorkloadProfiles.Domain.Identity;

/// <summary>
/// Argument signatures (DESIGN "Argument signature"): an exec's arguments after argv[0] (after the applet for busybox),
/// each normalized so that what varies between runs of the same behaviour (ids, timestamps, addresses of one class, query
/// strings) collapses while what an attacker would change (hosts, paths, scripts, option values) does not:
/// <list type="bullet">
/// <item>a URL → scheme, lower-case host (an IP host → its address class) with an explicit port, the normalized path;
/// user info, query and fragment dropped: <c>http://Example.com:8080/a/1234?x=1</c> → <c>http://example.com:8080/a/*</c>;</item>
/// <item>an IPv4/IPv6 address, optionally with a port → its class (<see cref="NodeIdentity.AddressClassOf"/>) keeping the
/// port: <c>10.1.2.3:4444</c> → <c>private:4444</c>; with a prefix length → <c>private/*</c>;</item>
/// <item>a path (starts with <c>/</c>, <c>./</c>, <c>../</c> or <c>~/</c>) → <see cref="PathNormalizer.Normalize"/>;</item>
/// <item><c>--name=value</c> and <c>name=value</c> → the name and the normalized value;</item>
/// <item>a decimal number or a <c>0x</c> hex word → <c>*</c>; otherwise the path segment rules
/// (<see cref="PathNormalizer.NormalizeToken"/>: UUIDs, random hex, runs of 4+ digits → <c>*</c>);</item>
/// <item>the inline code of <c>sh -c</c>, <c>bash -c</c>, <c>python -c</c>, <c>node -e</c>, … is tokenized like a shell command
/// line (words, quotes, operators) and each word normalized the same way.</item>
/// </list>
/// Bounded: at most <see cref="MaxArguments"/> arguments and <see cref="MaxLength"/> characters after normalization; the rest
/// becomes one marker holding its count and a hash of its raw text, so an oversized argv is its own signature. An
/// argument longer than <see cref="MaxArgumentLength"/> is not normalized but counted into the marker. Deterministic and
/// idempotent: the signature of a signature's arguments is the signature itself.
/// </summary>
public static class ArgumentSignature
{
    public const int MaxArguments = 64;
    public const int MaxLength = 1024;
    public const int MaxArgumentLength = 4096;

    private const string MarkerStart = "⟨+";
    private const char MarkerEnd = '⟩';
    private const string OperatorCharacters = ";&|<>(){}`";
    private static readonly SearchValues<char> NeedsQuotes = SearchValues.Create(" \t\n\r'\";&|<>(){}`\\");
    private static readonly SearchValues<char> Operators = SearchValues.Create(OperatorCharacters);
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>The signature of an exec: its normalized arguments after argv[0] (or the busybox applet), joined by spaces,
    /// an argument with spaces or shell syntax in single quotes. "" when it had none.</summary>
    public static string Of(string executablePath, IReadOnlyList<string>? args) => Join(Arguments(executablePath, args));

    /// <summary>The normalized arguments the signature is made of (the bound's marker last when there was a rest).</summary>
    public static IReadOnlyList<string> Arguments(string executablePath, IReadOnlyList<string>? args)
    {
        ArgumentNullException.ThrowIfNull(executablePath);
        if (args is null || args.Count <= 1) return [];
        var (first, inlineCode) = ProcessKeys.ArgumentLayout(executablePath, args);
        var result = new List<string>(Math.Min(args.Count - first, MaxArguments));
        var length = 0;
        for (var i = first; i < args.Count; i++)
        {
            var raw = args[i] ?? "";
            var normal = raw.Length > MaxArgumentLength ? null : i == inlineCode ? NormalizeCode(raw) : NormalizeArgument(raw);
            var added = normal is null ? int.MaxValue : (result.Count > 0 ? 1 : 0) + Quote(normal).Length;
            // Keep room for the marker: the bound holds with it.
            if (normal is null || result.Count == MaxArguments - 1 || length + added > MaxLength - 48)
            {
                // A rest that is already one marker (a signature signed again) stays that marker.
                result.Add(i == args.Count - 1 && IsMarker(raw) ? raw : Marker(args, i));
                return result;
            }
            result.Add(normal);
            length += added;
        }
        return result;
    }

    /// <summary>One argument, normalized (see the type's rules). Idempotent.</summary>
    public static string NormalizeArgument(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (argument.Length == 0 || IsMarker(argument) || IsAddressClass(argument)) return argument;
        if (TryNormalizeUrl(argument, out var url)) return url;
        if (TryNormalizeAddress(argument, out var address)) return address;
        if (argument[0] == '/' || argument.StartsWith("./", StringComparison.Ordinal) || argument.StartsWith("../", StringComparison.Ordinal)
            || argument.StartsWith("~/", StringComparison.Ordinal))
        {
            // "./24" normalizes to "24", which would read as a number next time: a relative path keeps its "./".
            var path = PathNormalizer.Normalize(argument);
            return path[0] is '/' or '.' or '~' ? path : "./" + path;
        }
        var equals = argument.IndexOf('=');
        if (equals > 0 && IsOptionName(argument.AsSpan(0, equals)))
        {
            var value = argument[(equals + 1)..];
            var normalValue = NormalizeArgument(value);
            return ReferenceEquals(normalValue, value) ? argument : string.Concat(argument.AsSpan(0, equals + 1), normalValue);
        }
        if (IsNumber(argument) || IsHexWord(argument)) return "*";
        return PathNormalizer.NormalizeToken(argument);
    }

    /// <summary>Inline code (a shell command line, a Python or JavaScript snippet): tokenized like a shell would split it,
    /// each word normalized, joined by spaces (quoted where needed). Idempotent.</summary>
    public static string NormalizeCode(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return Join([.. Tokenize(code).Select(t => t.Operator ? t.Text : NormalizeArgument(t.Text))]);
    }

    /// <summary>Arguments joined by spaces; one that is empty or holds spaces, quotes or shell operators in single quotes.</summary>
    public static string Join(IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 0) return "";
        var text = new StringBuilder();
        foreach (var argument in arguments)
        {
            if (text.Length > 0) text.Append(' ');
            text.Append(Quote(argument));
        }
        return text.ToString();
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.AsSpan().IndexOfAny(NeedsQuotes) < 0 || IsMarker(argument) || IsOperator(argument)
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Marker(IReadOnlyList<string> args, int from)
    {
        var hash = new XxHash64();
        for (var i = from; i < args.Count; i++)
        {
            hash.Append(MemoryMarshalBytes(args[i] ?? ""));
            hash.Append([0]);
        }
        return string.Create(CultureInfo.InvariantCulture, $"{MarkerStart}{args.Count - from} args {hash.GetCurrentHashAsUInt64():x16}{MarkerEnd}");
    }

    private static ReadOnlySpan<byte> MemoryMarshalBytes(string s) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(s.AsSpan());

    private static bool IsMarker(string argument) =>
        argument.StartsWith(MarkerStart, StringComparison.Ordinal) && argument[^1] == MarkerEnd;

    private static bool IsOperator(string argument) =>
        argument.Length > 0 && argument.AsSpan().IndexOfAnyExcept(Operators) < 0;

    /// <summary><c>scheme://[user@]host[:port][/path][?query][#fragment]</c>, split by hand (System.Uri re-escapes what it
    /// prints, which would not be idempotent).</summary>
    private static bool TryNormalizeUrl(string argument, out string normal)
    {
        normal = argument;
        var schemeEnd = argument.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0 || !IsSchemeName(argument.AsSpan(0, schemeEnd))) return false;
        var rest = argument.AsSpan(schemeEnd + 3);
        var authorityEnd = rest.IndexOfAny('/', '?', '#');
        var authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        var afterAuthority = authorityEnd < 0 ? [] : rest[authorityEnd..];
        var at = authority.LastIndexOf('@');
        if (at >= 0) authority = authority[(at + 1)..];

        var host = authority;
        var port = ReadOnlySpan<char>.Empty;
        var bracket = authority.LastIndexOf(']');
        var colon = authority.LastIndexOf(':');
        if (colon > bracket && PathNormalizer.IsAllDigits(authority[(colon + 1)..]))
        {
            host = authority[..colon];
            port = authority[colon..];
        }
        var hostText = host.Trim("[]").ToString();
        var hostNormal = IPAddress.TryParse(hostText, out _) && (hostText.Contains(':') || hostText.Count('.') == 3)
            ? NodeIdentity.AddressClassOf(hostText)
            : host.ToString().ToLowerInvariant();

        var pathEnd = afterAuthority.IndexOfAny('?', '#');
        var path = (pathEnd < 0 ? afterAuthority : afterAuthority[..pathEnd]).ToString();
        normal = string.Concat(argument.AsSpan(0, schemeEnd).ToString().ToLowerInvariant(), "://", hostNormal, port.ToString(),
            path.Length == 0 ? "/" : PathNormalizer.Normalize(path));
        return true;
    }

    private static bool IsSchemeName(ReadOnlySpan<char> scheme)
    {
        if (!char.IsAsciiLetter(scheme[0])) return false;
        foreach (var c in scheme)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.')) return false;
        return true;
    }

    /// <summary>An IP address, with an optional port (<c>ip:port</c>, <c>[ip6]:port</c>) or prefix length (<c>ip/len</c>).</summary>
    private static bool TryNormalizeAddress(string argument, out string normal)
    {
        normal = argument;
        var text = argument.AsSpan();
        var suffix = "";
        var slash = text.IndexOf('/');
        if (slash > 0)
        {
            if (!PathNormalizer.IsAllDigits(text[(slash + 1)..])) return false;
            suffix = "/*";
            text = text[..slash];
        }
        if (text.StartsWith("["))
        {
            var close = text.IndexOf(']');
            if (close < 0) return false;
            if (close + 1 < text.Length)
            {
                if (text[close + 1] != ':' || !PathNormalizer.IsAllDigits(text[(close + 2)..])) return false;
                suffix = string.Concat(":", text[(close + 2)..]) + suffix;
            }
            text = text[1..close];
        }
        else if (text.Count(':') == 1)
        {
            var colon = text.IndexOf(':');
            if (!PathNormalizer.IsAllDigits(text[(colon + 1)..])) return false;
            suffix = string.Concat(":", text[(colon + 1)..]) + suffix;
            text = text[..colon];
        }
        if (text.IsEmpty || !IPAddress.TryParse(text, out var ip)) return false;
        // A bare number (IPAddress parses "3333" as 0.0.13.5) is a number, not an address.
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && text.Count('.') != 3) return false;
        normal = NodeIdentity.AddressClassOf(text.ToString()) + suffix;
        return true;
    }

    private static readonly string[] AddressClasses = ["loopback", "private", "link-local", "public", "multicast", "unspecified", "unknown"];

    /// <summary>What <see cref="TryNormalizeAddress"/> makes of an address: a class, then an optional <c>:port</c> and
    /// <c>/*</c>. Kept as is, so normalizing is idempotent (the port's digits are not a number to hide).</summary>
    private static bool IsAddressClass(string argument)
    {
        foreach (var name in AddressClasses)
        {
            if (!argument.StartsWith(name, StringComparison.Ordinal)) continue;
            var rest = argument.AsSpan(name.Length);
            if (rest.EndsWith("/*")) rest = rest[..^2];
            return rest.IsEmpty || (rest[0] == ':' && PathNormalizer.IsAllDigits(rest[1..]));
        }
        return false;
    }

    private static bool IsOptionName(ReadOnlySpan<char> name)
    {
        var start = name.StartsWith("--") ? 2 : name.StartsWith("-") ? 1 : 0;
        if (start >= name.Length || !(char.IsAsciiLetter(name[start]) || name[start] == '_')) return false;
        foreach (var c in name[start..])
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.')) return false;
        return true;
    }

    private static bool IsNumber(string s)
    {
        var span = s.AsSpan();
        if (span[0] is '-' or '+') span = span[1..];
        if (span.IsEmpty) return false;
        var dot = false;
        foreach (var c in span)
        {
            if (c == '.' && !dot) { dot = true; continue; }
            if (!char.IsAsciiDigit(c)) return false;
        }
        return char.IsAsciiDigit(span[0]) && char.IsAsciiDigit(span[^1]);
    }

    private static bool IsHexWord(string s) =>
        s.Length > 2 && s[0] == '0' && s[1] is 'x' or 'X' && s.AsSpan(2).IndexOfAnyExcept(HexDigits) < 0;

    private readonly record struct Token(string Text, bool Operator);

    /// <summary>Splits a command line as a shell would into words and operators: whitespace separates words, quotes group
    /// (their content kept without the quotes), a backslash escapes the next character, and <c>;&amp;|&lt;&gt;(){}`</c> runs are
    /// operators; a newline is <c>;</c>.</summary>
    private static List<Token> Tokenize(string code)
    {
        var tokens = new List<Token>();
        var word = new StringBuilder();
        var inWord = false;
        void EndWord()
        {
            if (!inWord) return;
            tokens.Add(new Token(word.ToString(), false));
            word.Clear();
            inWord = false;
        }
        for (var i = 0; i < code.Length; i++)
        {
            var c = code[i];
            if (c is '\n' or '\r')
            {
                EndWord();
                if (tokens.Count == 0 || tokens[^1].Text != ";") tokens.Add(new Token(";", true));
            }
            else if (char.IsWhiteSpace(c))
            {
                EndWord();
            }
            else if (c is '\'' or '"')
            {
                inWord = true;
                var close = code.IndexOf(c, i + 1);
                if (close < 0) close = code.Length;
                var content = code.AsSpan(i + 1, close - i - 1);
                if (c == '"') AppendUnescaped(word, content);
                else word.Append(content);
                i = close;
            }
            else if (c == '\\' && i + 1 < code.Length)
            {
                inWord = true;
                word.Append(code[++i]);
            }
            else if (OperatorCharacters.Contains(c))
            {
                EndWord();
                var end = i;
                while (end < code.Length && OperatorCharacters.Contains(code[end])) end++;
                tokens.Add(new Token(code[i..end], true));
                i = end - 1;
            }
            else
            {
                inWord = true;
                word.Append(c);
            }
        }
        EndWord();
        return tokens;
    }

    private static void AppendUnescaped(StringBuilder word, ReadOnlySpan<char> quoted)
    {
        for (var i = 0; i < quoted.Length; i++)
        {
            if (quoted[i] == '\\' && i + 1 < quoted.Length && quoted[i + 1] is '"' or '\\' or '$' or '`') i++;
            word.Append(quoted[i]);
        }
    }
}
