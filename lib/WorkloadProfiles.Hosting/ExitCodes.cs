namespace WorkloadProfiles.Hosting;

/// <summary>
/// The exit codes of every WorkloadProfiles executable (README "Exit codes"). Scripts, systemd and orchestrators can tell
/// "fix the configuration" from "start the dependency" from "look at the logs".
/// </summary>
public static class ExitCodes
{
    /// <summary>Done, or stopped by SIGINT/SIGTERM after a clean shutdown; also <c>--help</c> and <c>--version</c>.</summary>
    public const int Ok = 0;

    /// <summary>Failed while running (the stream failed, an unexpected error); the last lines of the log say why.</summary>
    public const int Failed = 1;

    /// <summary>Usage or configuration error: an unknown option, a bad value, a missing configuration or rules file.</summary>
    public const int Configuration = 2;

    /// <summary>A prerequisite is missing or unreachable: Kafka, ClickHouse, a port in use, kernel BTF or privileges.</summary>
    public const int Prerequisite = 3;
}

/// <summary>Bad configuration: the process exits with <see cref="ExitCodes.Configuration"/> and this one-line message.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string message) : base(message)
    {
    }

    public ConfigurationException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ConfigurationException()
    {
    }
}

/// <summary>
/// Something the process needs is missing or unreachable: it exits with <see cref="ExitCodes.Prerequisite"/> and this
/// one-line message, which names the thing and how to provide it.
/// </summary>
public sealed class PrerequisiteException : Exception
{
    public PrerequisiteException(string message) : base(message)
    {
    }

    public PrerequisiteException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public PrerequisiteException()
    {
    }
}
