namespace WorkloadProfiles.Operations;

/// <summary>What <c>/healthz</c> answers: 200 when <see cref="Healthy"/>, else 503; the body is <see cref="State"/>.</summary>
public readonly record struct Health(bool Healthy, string State)
{
    public static Health Up(string state = "ok") => new(true, state);

    public static Health Down(string state) => new(false, state);
}
