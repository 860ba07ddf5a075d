namespace WorkloadProfiles.Detection.Falco;

/// <summary>
/// Why a Falco alert could not become a signal. <see cref="Reason"/> is the dead-letter reason code; <see cref="Detail"/>
/// says what exactly was wrong.
/// </summary>
public sealed record FalcoParseError(string Reason, string Detail)
{
    /// <summary>Not JSON, or not a JSON object.</summary>
    public const string MalformedJson = "falco-malformed-json";
    /// <summary>A required field (<c>rule</c>, <c>time</c>, <c>output_fields</c>) is absent or of the wrong type.</summary>
    public const string MissingField = "falco-missing-field";
    /// <summary><c>time</c> is not an RFC 3339 timestamp.</summary>
    public const string InvalidTime = "falco-invalid-time";
    /// <summary>No <c>container.id</c>, or the event happened on the host (<c>container.id = host</c>): signals are per container.</summary>
    public const string NoContainer = "falco-no-container";

    public override string ToString() => $"{Reason}: {Detail}";
}

/// <summary>Thrown by <see cref="FalcoAlertParser.Parse"/>; carries the <see cref="FalcoParseError"/>.</summary>
public sealed class FalcoAlertException : Exception
{
    public FalcoAlertException(FalcoParseError error) : base(error.ToString()) => Error = error;
    public FalcoAlertException() : this(new FalcoParseError(FalcoParseError.MalformedJson, "unspecified")) { }
    public FalcoAlertException(string message) : this(new FalcoParseError(FalcoParseError.MalformedJson, message)) { }
    public FalcoAlertException(string message, Exception innerException) : base(message, innerException) =>
        Error = new FalcoParseError(FalcoParseError.MalformedJson, message);

    public FalcoParseError Error { get; }
}
