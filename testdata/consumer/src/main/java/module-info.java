/** A program that uses sdmodel as a library, as a module: it reads only what core exports. */
module com.example.consumer {
    requires org.sdmodel.core;
}
