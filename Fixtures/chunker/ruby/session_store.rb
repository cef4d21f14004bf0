# frozen_string_literal: true

require "securerandom"

module Auth
  TTL = 3600

  # Stores sessions in memory.
  class SessionStore < BaseStore
    attr_reader :sessions

    def initialize
      @sessions = {}
    end

    # Creates a session and returns its id.
    def open(user)
      id = SecureRandom.hex(16)
      @sessions[id] = { user: user, at: Time.now }
      id
    end

    def self.default
      @default ||= new
    end

    class << self
      def reset!
        @default = nil
      end
    end

    private

    def expired?(session)
      Time.now - session[:at] > TTL
    end
  end

  module Helpers
    def current_user
      session_store.sessions.dig(cookies[:sid], :user)
    end
  end
end

class Auth::Token
  def to_s = "token"
end

def helper_without_class(x)
  x * 2
end

puts Auth::SessionStore.default.open("ann")
