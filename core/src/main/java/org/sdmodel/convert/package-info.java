/**
 * Precision conversion of tensor data (fp32, fp16, bf16, float8 e4m3fn and e5m2), bit for bit as
 * PyTorch 2.x does it on the CPU: the scalar conversions ({@link org.sdmodel.convert.FloatBits}),
 * the bulk kernels that {@code prune} streams tensors through
 * ({@link org.sdmodel.convert.ElementConverter}), the counts of values that a conversion lost
 * ({@link org.sdmodel.convert.ConversionStats}), and the choice of each tensor's target type
 * ({@link org.sdmodel.convert.Precision}).
 */
package org.sdmodel.convert;
