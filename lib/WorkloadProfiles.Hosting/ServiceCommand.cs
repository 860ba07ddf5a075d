using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Configuration;

namespace WorkloadProfiles.Hosting;

/// <summary>
/// The command line of a WorkloadProfiles executable on System.CommandLine: <c>--help</c> and <c>--version</c> without
/// starting anything, <c>--config FILE</c>, any configuration key as <c>--Section:Key value</c>, and the documented exit
/// codes with one clear line per failure on stderr (<see cref="ExitCodes"/>).
/// </summary>
/// <remarks>
/// Configuration, in increasing precedence: defaults → the JSON file (<c>--config</c>, else <c>WP_CONFIG</c>, else
/// <c>./workloadprofiles.json</c> when present; a file that is named but missing is an error) → <c>WP_&lt;Section&gt;__&lt;Key&gt;</c>
/// environment variables → <c>--Section:Key value</c> (or <c>--Section:Key=value</c>) on the command line.
/// </remarks>
public sealed class ServiceCommand
{
    public const string ConfigVariable = "WP_CONFIG";
    public const string DefaultConfigFile = "workloadprofiles.json";

    public ServiceCommand(string name, string description)
    {
        Name = name;
        Root = new RootCommand(description) { ConfigOption };
        Root.TreatUnmatchedTokensAsErrors = false;
    }

    /// <summary>The executable's name as users type it, used as the prefix of every error line.</summary>
    public string Name { get; }

    public RootCommand Root { get; }

    public Option<FileInfo?> ConfigOption { get; } = new("--config")
    {
        Description = $"JSON configuration file (default: ${ConfigVariable}, else ./{DefaultConfigFile} when present)",
        Recursive = true,
    };

    /// <summary>
    /// Runs <paramref name="action"/> for <paramref name="command"/> with the loaded configuration. Its result is the exit
    /// code; a <see cref="ConfigurationException"/> exits 2, a <see cref="PrerequisiteException"/> 3, anything else 1 — each
    /// as one line on stderr (plus the stack trace for what is not a user error).
    /// </summary>
    public void SetAction(Command command, Func<ParseResult, IConfiguration, CancellationToken, Task<int>> action)
    {
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellation) => action(parse, LoadConfiguration(parse), cancellation));
    }

    /// <summary>Parses and runs. A parse error exits 2 with one line per error (never the .NET type of a value).</summary>
    public Task<int> InvokeAsync(string[] args) => InvokeAsync(Name, Root, args);

    /// <summary>
    /// Parses and runs any root command with the exit-code convention for parse errors (2, one line each), for
    /// executables that build their own command tree.
    /// </summary>
    /// <param name="commandLineHandlesSignals">
    /// True for commands whose actions stop on the cancellation token System.CommandLine cancels on SIGINT/SIGTERM
    /// (it then exits <paramref name="terminationTimeout"/> later, by default two seconds); false for those that register a
    /// <see cref="StopSignal"/> and take the time a clean shutdown needs.
    /// </param>
    /// <param name="terminationTimeout">How long a cancelled action may take to finish cleanly (flush, close files).</param>
    public static async Task<int> InvokeAsync(string name, RootCommand root, string[] args, bool commandLineHandlesSignals = false,
        TimeSpan? terminationTimeout = null)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is null or ParseErrorAction)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"{name}: {error.Message}");
            Console.Error.WriteLine($"Run '{name} --help' for the options.");
            return ExitCodes.Configuration;
        }

        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (!commandLineHandlesSignals) invocation.ProcessTerminationTimeout = null;
        else if (terminationTimeout is { } timeout) invocation.ProcessTerminationTimeout = timeout;
        try
        {
            return await parse.InvokeAsync(invocation);
        }
        catch (ConfigurationException e)
        {
            return Fail(name, ExitCodes.Configuration, e.Message);
        }
        catch (PrerequisiteException e)
        {
            return Fail(name, ExitCodes.Prerequisite, e.Message);
        }
        catch (InvalidOperationException e) when (ConfigurationValueError.Explain(e) is { } explained)
        {
            return Fail(name, ExitCodes.Configuration, explained);
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok; // stopped while starting
        }
        catch (Exception e)
        {
            // Not a user error: a bug or an unexpected failure, so the stack trace is worth its lines.
            Console.Error.WriteLine($"{name}: failed: {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e.StackTrace);
            return ExitCodes.Failed;
        }
    }

    static int Fail(string name, int exitCode, string message)
    {
        Console.Error.WriteLine($"{name}: {message}");
        return exitCode;
    }

    /// <summary>
    /// Defaults → JSON file → <c>WP_</c> environment → <c>--Section:Key value</c> tokens the command line did not match.
    /// An explicitly named file (<c>--config</c> or <c>WP_CONFIG</c>) must exist and is exported as <c>WP_CONFIG</c>, so
    /// child processes read the same file.
    /// </summary>
    public IConfiguration LoadConfiguration(ParseResult parse)
    {
        var overrides = ConfigurationOverrides(parse.UnmatchedTokens);
        var named = parse.GetValue(ConfigOption)?.FullName
                    ?? (Environment.GetEnvironmentVariable(ConfigVariable) is { Length: > 0 } fromEnvironment ? Path.GetFullPath(fromEnvironment) : null);
        if (named is not null && !File.Exists(named))
        {
            throw new ConfigurationException($"configuration file {named} does not exist (--config / {ConfigVariable}).");
        }

        if (named is not null) Environment.SetEnvironmentVariable(ConfigVariable, named);
        try
        {
            return new ConfigurationBuilder()
                .AddJsonFile(named ?? Path.Combine(Environment.CurrentDirectory, DefaultConfigFile), optional: named is null)
                .AddEnvironmentVariables("WP_")
                .AddInMemoryCollection(overrides)
                .Build();
        }
        catch (InvalidDataException e)
        {
            throw new ConfigurationException($"configuration file {named ?? DefaultConfigFile} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary><c>--Section:Key value</c> and <c>--Section:Key=value</c>; any other leftover token is a usage error.</summary>
    public static Dictionary<string, string?> ConfigurationOverrides(IReadOnlyList<string> tokens)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || !token.Contains(':', StringComparison.Ordinal))
            {
                throw new ConfigurationException(
                    $"unrecognized argument '{token}'; options are listed by --help, configuration keys are set as --Section:Key value.");
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                overrides[token[2..equals]] = token[(equals + 1)..];
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                overrides[token[2..]] = tokens[++i];
            }
            else
            {
                throw new ConfigurationException($"{token} needs a value (--Section:Key value).");
            }
        }

        return overrides;
    }

    /// <summary>
    /// A numeric option whose parse error names the option and the value ("--time-scale: 'abc' is not a number"), not a
    /// .NET type.
    /// </summary>
    public static Option<T?> NumberOption<T>(string name, string description) where T : struct, INumber<T> => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (T.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value)) return value;
            result.AddError($"{name}: '{text}' is not {(typeof(T) == typeof(int) || typeof(T) == typeof(long) ? "a whole number" : "a number")}.");
            return null;
        },
    };
}
