using System.Text.Json.Serialization;

namespace PaliConvert.Models;

/// <summary>The MLP activations the forward pass and the ONNX graph implement, by transformers' names.</summary>
public enum Activation
{
    /// <summary>The tanh approximation, as PaliGemma is trained.</summary>
    [JsonStringEnumMemberName("gelu_pytorch_tanh")] GeluPytorchTanh,
    /// <summary>The same tanh approximation under its older name.</summary>
    [JsonStringEnumMemberName("gelu_new")] GeluNew,
    /// <summary>0.5 x (1 + erf(x / sqrt(2))).</summary>
    [JsonStringEnumMemberName("gelu")] Gelu,
}

public static class ActivationNames
{
    /// <summary>transformers' name, as config.json spells it.</summary>
    public static string Name(this Activation a) => EnumNames.Of(a);

    public static bool IsTanh(this Activation a) => a is Activation.GeluPytorchTanh or Activation.GeluNew;

    /// <summary>The activation transformers calls <paramref name="name"/>, or null when it is not implemented.</summary>
    public static Activation? Parse(string name) => EnumNames.Parse<Activation>(name);
}
