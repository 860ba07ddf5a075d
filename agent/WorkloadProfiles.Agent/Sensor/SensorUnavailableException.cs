namespace WorkloadProfiles.Agent.Sensor;

/// <summary>The kernel sensor cannot run here: missing BTF, missing privilege, or a load/attach failure.</summary>
public sealed class SensorUnavailableException : Exception
{
    public SensorUnavailableException(string message) : base(message) { }

    public SensorUnavailableException(string message, Exception inner) : base(message, inner) { }

    public SensorUnavailableException() { }
}
