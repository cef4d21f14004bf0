import React, { useState } from "react";

interface LoginFormProps {
  onSubmit(user: string, password: string): Promise<void>;
}

/** A login form that disables itself while a submission is pending. */
export function LoginForm({ onSubmit }: LoginFormProps) {
  const [pending, setPending] = useState(false);
  return (
    <form onSubmit={() => setPending(true)}>
      <input name="user" disabled={pending} />
      <button type="submit">Sign in</button>
    </form>
  );
}

export const ErrorBanner = ({ message }: { message: string }) => {
  return <div className="error">{message}</div>;
};

export class SessionGate extends React.Component<{ user?: string }> {
  render() {
    return this.props.user ? <span>{this.props.user}</span> : <LoginForm onSubmit={async () => {}} />;
  }
}
