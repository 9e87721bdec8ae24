package dev.runway.cli.deliveries;

import dev.runway.redelivery.DeliveryFilter;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Case-insensitive enum values for options, declared per option so they work whatever the root
 * command line's settings are.
 */
final class Converters {

  private Converters() {}

  static <E extends Enum<E>> E lookup(Class<E> type, String value) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      StringBuilder allowed = new StringBuilder();
      for (E constant : type.getEnumConstants()) {
        allowed
            .append(allowed.length() == 0 ? "" : ", ")
            .append(constant.name().toLowerCase(Locale.ROOT));
      }
      throw new TypeConversionException("'" + value + "' is not one of " + allowed);
    }
  }

  static final class StatusConverter implements ITypeConverter<DeliveryFilter.Status> {
    @Override
    public DeliveryFilter.Status convert(String value) {
      return lookup(DeliveryFilter.Status.class, value);
    }
  }

  static final class FormatConverter implements ITypeConverter<OutputFormat> {
    @Override
    public OutputFormat convert(String value) {
      return lookup(OutputFormat.class, value);
    }
  }
}
