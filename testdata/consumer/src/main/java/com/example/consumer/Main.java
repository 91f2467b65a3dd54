package com.example.consumer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.sdmodel.ModelFile;
import org.sdmodel.Tensor;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.WriteOptions;
import org.sdmodel.engine.WriteResult;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;

/**
 * Lists a checkpoint's tensors, then prunes it to an fp16 safetensors file, through sdmodel-core's
 * public API only: {@code Main IN.ckpt OUT.safetensors}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws IOException {
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Module core = ModelFile.class.getModule();
        System.out.println("sdmodel-core: " + (core.isNamed() ? "module " + core.getName() : "class path"));
        // --- README: Use as a library ---
        try (ModelFile model = ModelFile.open(in)) {
            for (Map.Entry<String, Tensor> e : model.stateDict().tensors().entrySet()) {
                Tensor t = e.getValue();
                System.out.println(e.getKey() + " " + t.dtype() + Arrays.toString(t.shape()));
            }
            // EMA weights swapped in, optimizer state dropped, floats to fp16 as torch's .half() does
            PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults());
            WriteResult result = ModelWriter.write(plan.tensors(plan.metadata(model, true)), out, WriteOptions.defaults());
            System.out.println("wrote " + result.target() + ": " + result.fileBytes() + " bytes, "
                    + result.total().overflows() + " values overflowed to infinity");
        }
        // --- end ---
    }
}
