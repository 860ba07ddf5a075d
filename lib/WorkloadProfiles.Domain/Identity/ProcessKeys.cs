using WorkloadProfiles.Domain.Normalization;

namespace WorkloadProfiles.Domain.Identity;

/// <summary>
/// Builds process keys. Arguments of ordinary programs are ignored (they are too variable to be identity), but for shells
/// and interpreters the way they were asked to run code is what matters, so "bash" in a profile never whitelists
/// "bash -c &lt;anything&gt;". The key is the normalized executable path followed by:
/// <list type="bullet">
/// <item><c>-c *</c> for inline code: shells' <c>-c</c> (also in clusters such as <c>-ec</c>), python's <c>-c</c>, perl/ruby/lua's
/// <c>-e</c>/<c>-E</c> (normalized to <c>-e *</c>), node's <c>-e</c>/<c>-p</c>/<c>--eval</c>/<c>--print</c> (<c>-e *</c>), php's
/// <c>-r</c> (<c>-r *</c>);</item>
/// <item><c>-m &lt;module&gt;</c> for <c>python -m module</c>;</item>
/// <item>the normalized script path for <c>sh script.sh</c>, <c>python app.py</c>, …;</item>
/// <item><c>-i</c> for an interactive shell or interpreter;</item>
/// <item>nothing for a bare interpreter reading stdin.</item>
/// </list>
/// busybox is a multi-call binary: its applet (argv[0]'s name, or argv[1] when argv[0] is busybox) follows the path,
/// e.g. <c>/bin/busybox wget</c>, <c>/bin/busybox sh -c *</c>, and shell applets get the shell rules.
/// Interpreters are recognized by the executable's file name: sh, bash, dash, ash, zsh, ksh, mksh, yash, fish, python*,
/// perl*, ruby*, node, nodejs, php*, lua*.
/// </summary>
internal static class ProcessKeys
{
    private enum Interpreter { None, Shell, Python, Perl, Ruby, Node, Php, Lua }

    public static string Build(string executablePath, IReadOnlyList<string>? args)
    {
        ArgumentNullException.ThrowIfNull(executablePath);
        var path = PathNormalizer.Normalize(executablePath);
        var name = FileName(path);
        var first = 1;
        var prefix = path;
        if (name is "busybox")
        {
            var applet = BusyboxApplet(args, out first);
            if (applet.IsEmpty) return path;
            prefix = string.Concat(path, " ", applet);
            name = applet;
            if (InterpreterOf(applet) != Interpreter.Shell) return prefix;
        }

        var interpreter = InterpreterOf(name);
        if (interpreter == Interpreter.None || args is null) return prefix;
        var pattern = interpreter == Interpreter.Shell ? ShellPattern(args, first) : InterpreterPattern(interpreter, args, first);
        return pattern is null ? prefix : string.Concat(prefix, " ", pattern);
    }

    public static bool TakesArgumentPattern(ReadOnlySpan<char> fileName) => fileName is "busybox" || InterpreterOf(fileName) != Interpreter.None;

    private static Interpreter InterpreterOf(ReadOnlySpan<char> name) => name switch
    {
        "sh" or "bash" or "dash" or "ash" or "zsh" or "ksh" or "mksh" or "yash" or "fish" or "rbash" => Interpreter.Shell,
        "node" or "nodejs" => Interpreter.Node,
        _ when IsVersioned(name, "python") => Interpreter.Python,
        _ when IsVersioned(name, "perl") => Interpreter.Perl,
        _ when IsVersioned(name, "ruby") => Interpreter.Ruby,
        _ when IsVersioned(name, "php") => Interpreter.Php,
        _ when IsVersioned(name, "lua") || IsVersioned(name, "luajit") => Interpreter.Lua,
        _ => Interpreter.None,
    };

    // "python", "python3", "python3.11", "php8.2" — a base name followed only by digits and dots.
    private static bool IsVersioned(ReadOnlySpan<char> name, string stem)
    {
        if (!name.StartsWith(stem, StringComparison.Ordinal)) return false;
        foreach (var c in name[stem.Length..])
            if (!char.IsAsciiDigit(c) && c != '.') return false;
        return true;
    }

    /// <summary>
    /// Where a process's own arguments start (after argv[0], or after the applet for <c>busybox APPLET …</c>) and, for a
    /// shell or interpreter asked to run inline code (<c>sh -c</c>, <c>python -c</c>, <c>node -e</c>, …), the index of
    /// that code in <paramref name="args"/> (-1 when there is none).
    /// </summary>
    public static (int First, int InlineCode) ArgumentLayout(string executablePath, IReadOnlyList<string>? args)
    {
        ArgumentNullException.ThrowIfNull(executablePath);
        var name = FileName(PathNormalizer.Normalize(executablePath));
        var first = 1;
        if (name is "busybox")
        {
            var applet = BusyboxApplet(args, out first);
            name = applet;
        }
        if (args is null || first >= args.Count) return (Math.Min(first, args?.Count ?? 0), -1);
        var interpreter = InterpreterOf(name);
        if (interpreter == Interpreter.None) return (first, -1);
        for (var i = first; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--" || arg.Length < 2 || arg[0] != '-') return (first, -1);
            var inline = interpreter switch
            {
                Interpreter.Shell or Interpreter.Python => !arg.StartsWith("--", StringComparison.Ordinal) && arg.AsSpan(1).Contains('c'),
                Interpreter.Perl or Interpreter.Ruby or Interpreter.Lua => !arg.StartsWith("--", StringComparison.Ordinal) && (arg.AsSpan(1).Contains('e') || arg.AsSpan(1).Contains('E')),
                Interpreter.Node => arg is "-e" or "-p" or "--eval" or "--print" or "-pe",
                Interpreter.Php => arg is "-r",
                _ => false,
            };
            if (inline) return (first, i + 1 < args.Count ? i + 1 : -1);
            if (interpreter == Interpreter.Node && (arg.StartsWith("--eval=", StringComparison.Ordinal) || arg.StartsWith("--print=", StringComparison.Ordinal)))
                return (first, i);
        }
        return (first, -1);
    }

    private static string? ShellPattern(IReadOnlyList<string> args, int first)
    {
        var interactive = false;
        for (var i = first; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--") return i + 1 < args.Count ? Script(args[i + 1]) : Bare(interactive);
            if (arg.Length > 1 && (arg[0] == '-' || arg[0] == '+'))
            {
                if (arg.StartsWith("--", StringComparison.Ordinal))
                {
                    // GNU long options; bash's --rcfile/--init-file take a value.
                    if (arg is "--rcfile" or "--init-file") i++;
                    continue;
                }
                var cluster = arg.AsSpan(1);
                if (arg[0] == '-' && cluster.Contains('c')) return "-c *";
                if (arg[0] == '-' && cluster.Contains('i')) interactive = true;
                // -o/+o and -O/+O take an option name.
                if (cluster.Length == 1 && cluster[0] is 'o' or 'O') i++;
                continue;
            }
            return Script(arg);
        }
        return Bare(interactive);
    }

    private static string? InterpreterPattern(Interpreter interpreter, IReadOnlyList<string> args, int first)
    {
        var interactive = false;
        for (var i = first; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-") return Bare(interactive);
            if (arg is "--") return i + 1 < args.Count ? Script(args[i + 1]) : Bare(interactive);
            if (arg.Length > 1 && arg[0] == '-')
            {
                switch (interpreter)
                {
                    case Interpreter.Node when arg is "-e" or "-p" or "--eval" or "--print" or "-pe":
                        return "-e *";
                    case Interpreter.Node when arg.StartsWith("--eval=", StringComparison.Ordinal) || arg.StartsWith("--print=", StringComparison.Ordinal):
                        return "-e *";
                    case Interpreter.Node when arg is "-r" or "--require" or "--import" or "--loader":
                        i++;
                        continue;
                    case Interpreter.Node when arg is "-i" or "--interactive":
                        interactive = true;
                        continue;
                    case Interpreter.Node:
                        continue;
                    case Interpreter.Python when arg is "-m":
                        return i + 1 < args.Count ? "-m " + args[i + 1] : Bare(interactive);
                    case Interpreter.Python when arg.StartsWith("-m", StringComparison.Ordinal) && !arg.StartsWith("--", StringComparison.Ordinal):
                        return "-m " + arg[2..];
                    case Interpreter.Python when arg is "-W" or "-X" or "--check-hash-based-pycs":
                        i++;
                        continue;
                    case Interpreter.Php when arg is "-r":
                        return "-r *";
                    case Interpreter.Php when arg is "-c" or "-d" or "-z":
                        i++;
                        continue;
                    case Interpreter.Php when arg is "-f":
                        return i + 1 < args.Count ? Script(args[i + 1]) : Bare(interactive);
                    case Interpreter.Php when arg is "-a":
                        interactive = true;
                        continue;
                    case Interpreter.Perl or Interpreter.Ruby when arg is "-I" or "-r" or "-x":
                        i++;
                        continue;
                    case Interpreter.Lua when arg is "-l":
                        i++;
                        continue;
                }
                if (arg.StartsWith("--", StringComparison.Ordinal)) continue;
                var cluster = arg.AsSpan(1);
                if (interpreter == Interpreter.Python && cluster.Contains('c')) return "-c *";
                if (interpreter is Interpreter.Perl or Interpreter.Ruby or Interpreter.Lua && (cluster.Contains('e') || cluster.Contains('E'))) return "-e *";
                if (cluster.Contains('i')) interactive = true;
                continue;
            }
            return Script(arg);
        }
        return Bare(interactive);
    }

    private static string Script(string path) => PathNormalizer.Normalize(path);

    private static string? Bare(bool interactive) => interactive ? "-i" : null;

    /// <summary>The program a process runs: the executable's file name, or for busybox the applet it was asked to be.</summary>
    public static string ProgramName(string executablePath, IReadOnlyList<string>? args)
    {
        ArgumentNullException.ThrowIfNull(executablePath);
        var name = FileName(executablePath);
        if (name is not "busybox") return name.Length == executablePath.Length ? executablePath : name.ToString();
        var applet = BusyboxApplet(args, out _);
        return applet.IsEmpty ? "busybox" : applet.ToString();
    }

    // The applet is argv[0]'s name (a symlink such as /bin/sh → busybox), or argv[1] when argv[0] is busybox itself;
    // `first` is the index of the applet's first own argument.
    private static ReadOnlySpan<char> BusyboxApplet(IReadOnlyList<string>? args, out int first)
    {
        var argv0 = args is { Count: > 0 } ? FileName(args[0]) : [];
        var viaBusybox = argv0 is "busybox" or "";
        first = viaBusybox ? 2 : 1;
        return !viaBusybox ? argv0 : args is { Count: > 1 } ? FileName(args[1]) : [];
    }

    private static ReadOnlySpan<char> FileName(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? path : path.AsSpan(slash + 1);
    }
}
