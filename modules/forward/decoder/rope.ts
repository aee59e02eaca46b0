/**
 * RoPE inverse frequencies, computed in float32 exactly as Hugging Face's rotary embedding initialises them
 * (including Llama 3's frequency scaling), so hidden states match the reference implementation bit for bit where
 * float32 allows.
 * @module
 */
import type { DecoderConfig } from "./decoder_config.ts";

/** `1 / theta^(2i / head_dim)` for i < head_dim / 2, float32, with Llama 3 scaling when configured. */
export function ropeInverseFrequencies(
  config: Pick<DecoderConfig, "headDim" | "ropeTheta" | "ropeScaling">,
): Float32Array {
  const { headDim, ropeTheta, ropeScaling } = config;
  const inverse = Float32Array.from(
    { length: headDim / 2 },
    (_, i) => 1 / Math.fround(Math.fround(ropeTheta) ** Math.fround((2 * i) / headDim)),
  );
  if (!ropeScaling) return inverse;
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = ropeScaling;
  const lowFreqWavelength = originalMaxPositions / lowFreqFactor;
  const highFreqWavelength = originalMaxPositions / highFreqFactor;
  return inverse.map((freq) => {
    const wavelength = (2 * Math.PI) / freq;
    if (wavelength < highFreqWavelength) return freq;
    if (wavelength > lowFreqWavelength) return freq / factor;
    const smooth = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (freq / factor) + smooth * freq;
  });
}
