package org.sdmodel.cli;

import org.sdmodel.convert.Precision;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --precision}: the names {@link Precision#fromLabel} takes ({@code fp16}, {@code fp8-e4m3fn}, {@code fp8}, ...). */
final class PrecisionConverter implements ITypeConverter<Precision> {
    /** The option's help, shared by the commands that take it. */
    static final String NAMES = "fp16, bf16, fp32, keep, fp8-e4m3fn (or fp8), fp8-e5m2. The fp8 ones write the UNet's "
            + "weights (model.diffusion_model.* with 2 or more dimensions) as float8 and other floating tensors as fp16.";

    @Override
    public Precision convert(String value) {
        try {
            return Precision.fromLabel(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
