namespace WorkloadProfiles.Contracts.Binary;

/// <summary>Raised by <see cref="AvroReader"/> on bytes that are not valid Avro; codecs turn it into a <see cref="ContractException"/>.</summary>
internal sealed class AvroMalformedException(string message) : Exception(message);
