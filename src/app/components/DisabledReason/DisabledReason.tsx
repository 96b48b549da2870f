import React, { useId } from 'react';
import { Text } from '@grafana/ui';

/** Why this user may not use some controls (their role), and the id that ties the reason to them. */
export interface DisabledFor {
  /** Undefined: the user may use them. */
  reason: string | undefined;
  /** Whether the reason disables them. */
  disabled: boolean;
  /** For each control's `aria-describedby` (undefined while enabled): a screen reader reads the reason with it. */
  describedBy: string | undefined;
  id: string;
}

/**
 * The reason, when there is one, disables the controls and describes each of them. Disabled for
 * real (not aria-disabled behind a tooltip): a click or a key does nothing, and the reason is on the
 * page for everyone, not only for whoever hovers or focuses the control.
 */
export function useDisabledReason(reason: string | undefined): DisabledFor {
  const id = useId();
  const disabled = reason !== undefined;
  return { reason, disabled, describedBy: disabled ? id : undefined, id };
}

type TextProps = React.ComponentProps<typeof Text>;

/** The visible reason the controls of `of` are disabled (nothing while they are enabled). */
export function DisabledReason({
  of,
  element,
  variant,
}: {
  of: DisabledFor;
  element?: TextProps['element'];
  variant?: TextProps['variant'];
}) {
  if (of.reason === undefined) {
    return null;
  }
  return (
    <Text id={of.id} color="secondary" element={element} variant={variant}>
      {of.reason}
    </Text>
  );
}
